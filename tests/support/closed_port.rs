//! A port on 127.0.0.1 that refuses connections and stays taken.

#![allow(dead_code)] // each test file uses part of it

/// A relay on 127.0.0.1 that refuses every connection, for mail that must be deferred.
///
/// The socket is bound but never listens, so a connection to it is refused, and the port stays
/// taken for as long as this value lives: no other test's server can bind it, and no outgoing
/// connection can use it as its source port. A port from `free_port()` is released at once, and
/// a test SMTP server started meanwhile may take it and answer, turning a deferral into a bounce.
pub struct ClosedPort {
    _socket: socket2::Socket,
    port: u16,
}

impl ClosedPort {
    pub fn bind() -> Self {
        use socket2::{Domain, Socket, Type};
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
        let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        socket.bind(&any.into()).expect("bind 127.0.0.1:0");
        let port = socket
            .local_addr()
            .ok()
            .and_then(|a| a.as_socket())
            .map(|a| a.port())
            .expect("bound address");
        ClosedPort {
            _socket: socket,
            port,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `[127.0.0.1]:PORT`, as a relayhost or a map's next hop.
    pub fn relay(&self) -> String {
        format!("[127.0.0.1]:{}", self.port)
    }
}
