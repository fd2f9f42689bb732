//! Objects in an S3 bucket (or any S3-compatible server), through aws-sdk-s3 with the standard
//! AWS configuration: region, credentials chain, `AWS_ENDPOINT_URL(_S3)`.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ObjectCannedAcl;

use super::{Bounded, Direct, Object, Store, StoreError};

/// How objects are written.
#[derive(Debug, Clone)]
pub struct S3Options {
    pub bucket: String,
    /// Needed by most S3-compatible servers (moto, MinIO) on an IP or localhost endpoint.
    pub force_path_style: bool,
    pub cache_control: String,
    /// Opt-in `public-read` ACL, for buckets made before 2023 that still allow ACLs.
    pub public_read: bool,
}

pub struct S3Store {
    client: Client,
    options: S3Options,
}

impl S3Store {
    /// Configured the standard AWS way: environment, profile files, instance or Lambda role.
    pub async fn connect(options: S3Options) -> Self {
        let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self::with_config(&shared, options)
    }

    pub fn with_config(shared: &aws_config::SdkConfig, options: S3Options) -> Self {
        let config = aws_sdk_s3::config::Builder::from(shared).force_path_style(options.force_path_style).build();
        Self { client: Client::from_conf(config), options }
    }

    /// The object's headers and unread body; `None` when nothing is stored under `key`.
    async fn get_object(&self, key: &str) -> Result<Option<GetObjectOutput>, StoreError> {
        match self.client.get_object().bucket(&self.options.bucket).key(key).send().await {
            Ok(response) => Ok(Some(response)),
            Err(SdkError::ServiceError(e)) if e.err().is_no_such_key() => Ok(None),
            Err(e) => Err(classify(e)),
        }
    }
}

/// Network trouble means the store is unavailable (503); an answer refusing the write, failed (502).
fn classify<E: ProvideErrorMetadata + std::fmt::Debug>(error: SdkError<E>) -> StoreError {
    match &error {
        SdkError::ServiceError(service) => {
            let e = service.err();
            StoreError::Failed(format!("{}: {}", e.code().unwrap_or("error"), e.message().unwrap_or("no message")))
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => StoreError::Unavailable(format!("{error:?}")),
        _ => StoreError::Failed(format!("{error:?}")),
    }
}

#[async_trait]
impl Store for S3Store {
    async fn put(&self, key: &str, object: &Object) -> Result<(), StoreError> {
        let mut metadata: HashMap<String, String> = object.metadata.clone().into_iter().collect();
        metadata.insert("sha256".into(), object.sha256.clone());
        let mut put = self
            .client
            .put_object()
            .bucket(&self.options.bucket)
            .key(key)
            .body(ByteStream::from(object.bytes.clone()))
            .content_type(&object.content_type)
            .cache_control(&self.options.cache_control)
            .set_metadata(Some(metadata));
        if self.options.public_read {
            put = put.acl(ObjectCannedAcl::PublicRead);
        }
        put.send().await.map_err(classify)?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Object>, StoreError> {
        let Some(response) = self.get_object(key).await? else {
            return Ok(None);
        };
        let content_type = response.content_type().unwrap_or("application/octet-stream").to_string();
        let mut metadata: std::collections::BTreeMap<_, _> =
            response.metadata().cloned().unwrap_or_default().into_iter().collect();
        let bytes = read_body(response.body).await?;
        let sha256 = metadata.remove("sha256").unwrap_or_else(|| crate::module::sha256_hex(&bytes));
        Ok(Some(Object { bytes, content_type, sha256, metadata }))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client.delete_object().bucket(&self.options.bucket).key(key).send().await.map_err(classify)?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("s3://{}", self.options.bucket)
    }

    fn direct(&self) -> Option<&dyn Direct> {
        Some(self)
    }
}

async fn read_body(body: ByteStream) -> Result<Vec<u8>, StoreError> {
    Ok(body.collect().await.map_err(|e| StoreError::Unavailable(e.to_string()))?.to_vec())
}

fn presigning(ttl: Duration) -> Result<PresigningConfig, StoreError> {
    PresigningConfig::expires_in(ttl).map_err(|e| StoreError::Failed(format!("presigning: {e}")))
}

#[async_trait]
impl Direct for S3Store {
    async fn presigned_get(&self, key: &str, ttl: Duration) -> Result<String, StoreError> {
        let get = self.client.get_object().bucket(&self.options.bucket).key(key);
        Ok(get.presigned(presigning(ttl)?).await.map_err(classify)?.uri().to_string())
    }

    /// Content-Type and Content-Length are signed: S3 refuses a PUT of another size or type.
    async fn presigned_put(
        &self,
        key: &str,
        content_type: &str,
        length: u64,
        ttl: Duration,
    ) -> Result<String, StoreError> {
        let put = self
            .client
            .put_object()
            .bucket(&self.options.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(length as i64);
        Ok(put.presigned(presigning(ttl)?).await.map_err(classify)?.uri().to_string())
    }

    async fn read_bounded(&self, key: &str, max_bytes: usize) -> Result<Bounded, StoreError> {
        let Some(response) = self.get_object(key).await? else {
            return Ok(Bounded::Missing);
        };
        // Dropping the response unread closes the connection instead of downloading the body.
        let length = response.content_length().unwrap_or(0).max(0) as u64;
        if length > max_bytes as u64 {
            return Ok(Bounded::TooLarge(length));
        }
        let bytes = read_body(response.body).await?;
        if bytes.len() > max_bytes {
            return Ok(Bounded::TooLarge(bytes.len() as u64));
        }
        Ok(Bounded::Bytes(bytes))
    }
}
