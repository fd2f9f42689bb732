//! The S3 endpoint the server is given: a TCP proxy on loopback in front of moto. While moto is
//! down and being restored the gate is shut: every new connection is dropped at once and the open
//! ones are cut, which is what a client of a killed S3 endpoint sees.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::net::{TcpListener, TcpStream};

pub struct Proxy {
    pub port: u16,
    open: Arc<AtomicBool>,
    /// Bumped when the gate shuts: connections of an older generation end.
    generation: Arc<AtomicU64>,
}

impl Proxy {
    pub async fn start(upstream: u16) -> anyhow::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let (open, generation) = (Arc::new(AtomicBool::new(true)), Arc::new(AtomicU64::new(0)));
        let (gate, current) = (open.clone(), generation.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if !gate.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let (born, current) = (current.load(Ordering::SeqCst), current.clone());
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                        return;
                    };
                    let mut client = client;
                    let copy = tokio::io::copy_bidirectional(&mut client, &mut server);
                    let cut = async {
                        while current.load(Ordering::SeqCst) == born {
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! { _ = copy => {}, _ = cut => {} }
                });
            }
        });
        Ok(Proxy { port, open, generation })
    }

    pub fn shut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    pub fn open(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}
