//! TLS for tests: a certificate authority made up for one test, and a TLS-terminating proxy
//! that puts any plain-http test server (the fake GitHub) behind https.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A certificate authority made up for one test, and a server certificate for 127.0.0.1 it
/// signed. Clients trust it through `SSL_CERT_FILE` pointing at [`TestCa::write_pem`]'s file.
pub struct TestCa {
    ca_pem: String,
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivatePkcs8KeyDer<'static>,
}

impl TestCa {
    pub fn new() -> Self {
        let mut ca_params = rcgen::CertificateParams::new(Vec::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "rerecord test CA");
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let leaf = params.signed_by(&key, &issuer).unwrap();
        Self {
            ca_pem: ca.pem(),
            chain: vec![leaf.der().clone(), ca.der().clone()],
            key: rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()),
        }
    }

    /// Write the CA certificate as PEM to `path` (for `SSL_CERT_FILE`).
    pub fn write_pem(&self, path: &Path) {
        std::fs::write(path, &self.ca_pem).unwrap();
    }

    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key().into())
            .unwrap();
        Arc::new(config)
    }
}

/// `https://127.0.0.1:PORT` in front of a plain-http server; it lives until the test process
/// ends.
pub struct TlsProxy {
    pub port: u16,
    connections: Arc<AtomicUsize>,
}

impl TlsProxy {
    /// Terminate TLS with a certificate from `ca` and forward every connection to `upstream`.
    pub fn start(upstream: SocketAddr, ca: &TestCa) -> Self {
        let acceptor = tokio_rustls::TlsAcceptor::from(ca.server_config());
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        let port = serve_tokio(move |client| {
            counted.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            async move {
                let Ok(mut tls) = acceptor.accept(client).await else {
                    return;
                };
                let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut server).await;
            }
        });
        Self { port, connections }
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// TCP connections accepted so far (TLS handshakes tried).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Listens on a free port of 127.0.0.1 (returned) and, on a thread of its own with a tokio
/// runtime, spawns `on_client(connection)` for every connection until the test process ends.
pub fn serve_tokio<F, Fut>(on_client: F) -> u16
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(on_client(client));
            }
        });
    });
    port
}
