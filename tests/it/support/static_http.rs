//! A static file server on 127.0.0.1: GET `/<path>` answers the file under its root (404 for
//! anything else), recording each request's path. The install script and the act harness
//! download releases from it.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A running server: its base URL and the paths asked so far (a clone shares them).
#[derive(Clone)]
pub struct StaticHttp {
    pub base_url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl StaticHttp {
    /// Serves `root` until the test process ends.
    pub fn serve(root: PathBuf) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                // Drain the headers so curl sees a well-behaved server.
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                seen.lock().unwrap().push(path.clone());
                let _ = stream.write_all(&reply(&root, &path));
            }
        });
        StaticHttp { base_url, requests }
    }

    /// The paths asked so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn reply(root: &std::path::Path, path: &str) -> Vec<u8> {
    match std::fs::read(root.join(path.trim_start_matches('/'))) {
        Ok(body) if !path.contains("..") => {
            let mut head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            head.extend(body);
            head
        }
        _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nNot Found"
            .to_vec(),
    }
}
