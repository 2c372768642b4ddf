//! TLS termination by the server itself: rustls with the `ring` provider,
//! the certificate chain and key read from the PEM files that
//! `MISMATCH_TLS_CERT` / `MISMATCH_TLS_KEY` name, TLS 1.3 only unless
//! `MISMATCH_TLS_MIN_VERSION=1.2`. The listener (`listener::serve_tls`) runs
//! the handshake inside its own limits; see docs/decisions.md for why TLS is
//! not left to a proxy alone.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::version::{TLS12, TLS13};
use tokio_rustls::TlsAcceptor;

use crate::config::{ConfigError, TlsMinVersion, TlsSettings};

/// The acceptor for `listener::serve_tls`; errors name the variable to fix.
pub fn acceptor(settings: &TlsSettings) -> Result<TlsAcceptor, ConfigError> {
    Ok(TlsAcceptor::from(Arc::new(server_config(settings)?)))
}

/// Reads the PEM files and builds the rustls configuration.
pub fn server_config(settings: &TlsSettings) -> Result<ServerConfig, ConfigError> {
    let certs = read_certificates(&settings.cert_path)?;
    let key = read_private_key(&settings.key_path)?;
    let versions: &[&rustls::SupportedProtocolVersion] = match settings.min_version {
        TlsMinVersion::Tls13 => &[&TLS13],
        TlsMinVersion::Tls12 => &[&TLS13, &TLS12],
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| ConfigError(format!("MISMATCH_TLS_MIN_VERSION: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            ConfigError(format!(
                "MISMATCH_TLS_KEY: the key in '{}' cannot serve the certificate in '{}': {e}",
                settings.key_path.display(),
                settings.cert_path.display()
            ))
        })?;
    // HTTP/1.1 only, like the plain listener: a client that offers only h2
    // is refused in the handshake rather than confused after it.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let fail = |why: String| ConfigError(format!("MISMATCH_TLS_CERT: '{}' {why}", path.display()));
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| fail(pem_problem(e)))?;
    if certs.is_empty() {
        return Err(fail(
            "holds no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks, leaf first)"
                .into(),
        ));
    }
    Ok(certs)
}

fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, ConfigError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| {
        let why = match e {
            pem::Error::NoItemsFound => {
                "holds no PEM private key (expected a PKCS#8, RSA or EC PRIVATE KEY block)"
                    .to_owned()
            }
            other => pem_problem(other),
        };
        ConfigError(format!("MISMATCH_TLS_KEY: '{}' {why}", path.display()))
    })
}

fn pem_problem(e: pem::Error) -> String {
    match e {
        pem::Error::Io(io) => format!("cannot be read: {io}"),
        other => format!("is not valid PEM: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Files {
        _dir: tempfile::TempDir,
        cert: std::path::PathBuf,
        key: std::path::PathBuf,
    }

    fn files(cert_pem: &str, key_pem: &str) -> Files {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&cert, cert_pem).unwrap();
        std::fs::write(&key, key_pem).unwrap();
        Files {
            _dir: dir,
            cert,
            key,
        }
    }

    fn settings(files: &Files) -> TlsSettings {
        TlsSettings {
            cert_path: files.cert.clone(),
            key_path: files.key.clone(),
            min_version: TlsMinVersion::Tls13,
        }
    }

    fn generated() -> rcgen::CertifiedKey<rcgen::KeyPair> {
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap()
    }

    #[test]
    fn a_generated_certificate_and_key_load() {
        let pair = generated();
        let f = files(&pair.cert.pem(), &pair.signing_key.serialize_pem());
        let config = server_config(&settings(&f)).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn missing_empty_mismatched_and_swapped_files_are_config_errors() {
        let pair = generated();
        let other = generated();
        let (cert, key) = (pair.cert.pem(), pair.signing_key.serialize_pem());

        let f = files(&cert, &key);
        let mut missing = settings(&f);
        missing.cert_path = f.cert.with_file_name("nope.pem");
        let err = server_config(&missing).unwrap_err();
        assert!(
            err.0.starts_with("MISMATCH_TLS_CERT:") && err.0.contains("cannot be read"),
            "{err}"
        );

        let f = files("not a certificate\n", &key);
        let err = server_config(&settings(&f)).unwrap_err();
        assert!(
            err.0.starts_with("MISMATCH_TLS_CERT:") && err.0.contains("no PEM certificate"),
            "{err}"
        );

        let f = files(&cert, "");
        let err = server_config(&settings(&f)).unwrap_err();
        assert!(
            err.0.starts_with("MISMATCH_TLS_KEY:") && err.0.contains("no PEM private key"),
            "{err}"
        );

        // Certificate and key the wrong way round.
        let f = files(&key, &cert);
        let err = server_config(&settings(&f)).unwrap_err();
        assert!(err.0.starts_with("MISMATCH_TLS_CERT:"), "{err}");

        // A key that is not the certificate's.
        let f = files(&cert, &other.signing_key.serialize_pem());
        let err = server_config(&settings(&f)).unwrap_err();
        assert!(
            err.0.starts_with("MISMATCH_TLS_KEY:") && err.0.contains("cannot serve"),
            "{err}"
        );

        // A truncated PEM block.
        let f = files(&cert[..cert.len() / 2], &key);
        let err = server_config(&settings(&f)).unwrap_err();
        assert!(
            err.0.starts_with("MISMATCH_TLS_CERT:") && err.0.contains("not valid PEM"),
            "{err}"
        );
    }
}
