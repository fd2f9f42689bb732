//! Process-wide memory while bombs are refused. Alone in its own test binary (so its own process):
//! other tests' buffers must not blur the measurement.

mod common;

use common::*;

#[tokio::test]
async fn memory_stays_bounded_while_bombs_are_refused() {
    let server = server();
    let bomb = png_bomb();
    // Warm up, then measure: the process must not grow by anything like a bomb's 400 MB.
    post(server, form(bomb.clone(), "bomb/warm")).await;
    let before = rss_bytes();
    for i in 0..20 {
        let (status, _) = post(server, form(bomb.clone(), &format!("bomb/{i}"))).await;
        assert_eq!(status, 422);
        let (status, _) = post(server, form(jpeg_claiming_65500(), &format!("bomb/jpeg-{i}"))).await;
        assert_eq!(status, 422);
    }
    let grown = rss_bytes().saturating_sub(before);
    assert!(grown < 64 << 20, "RSS grew by {} MiB over 40 refused bombs", grown >> 20);
}
