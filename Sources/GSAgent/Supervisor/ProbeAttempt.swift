import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension Supervisor {
    /// One health or readiness check in flight: an HTTP GET, a bare TCP connect, or a command.
    ///
    /// Advanced by `poll` from the supervisor's loop with non-blocking sockets and `WNOHANG`,
    /// so a slow probe of one task never delays the others (or the status file); a probe past
    /// its deadline fails, and one dropped early cleans up after itself.
    final class ProbeAttempt {
        enum Outcome: Equatable {
            case passed
            case failed(String)
        }

        private enum Phase {
            case connecting
            case reading
            case running(pid_t)
            case finished(Outcome)
        }

        let deadline: Double
        private let timeout: Double
        private var phase: Phase
        private var descriptor: Int32 = -1
        /// The HTTP request; nil for a bare TCP connect.
        private var request: [UInt8]?
        private var response: [UInt8] = []

        /// `GET path` on 127.0.0.1:`port` over HTTP/1.0; a 2xx status passes.
        convenience init(httpPath path: String, port: Int, timeout: Double, now: Double) {
            let target = path.hasPrefix("/") ? path : "/" + path
            let text = "GET \(target) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\nUser-Agent: gsctl-supervisor\r\n\r\n"
            self.init(port: port, request: Array(text.utf8), timeout: timeout, now: now)
        }

        /// A TCP connect to 127.0.0.1:`port`; accepting the connection passes.
        convenience init(tcpPort port: Int, timeout: Double, now: Double) {
            self.init(port: port, request: nil, timeout: timeout, now: now)
        }

        private init(port: Int, request: [UInt8]?, timeout: Double, now: Double) {
            self.timeout = timeout
            deadline = now + timeout
            self.request = request
            phase = .connecting
            guard port > 0, port < 65536 else {
                phase = .finished(.failed("port \(port) is out of range"))
                return
            }
            descriptor = socket(
                AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else {
                phase = .finished(.failed("cannot open a socket: \(FileSystem.errnoText())"))
                return
            }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
            let result = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if result == 0 {
                connected()
            } else if errno != EINPROGRESS {
                phase = .finished(.failed("cannot connect to 127.0.0.1:\(port): \(FileSystem.errnoText())"))
            }
        }

        /// Runs `arguments` in `directory` (own process group, output discarded); exit 0 passes.
        init(exec arguments: [String], directory: String, environment: [String: String], timeout: Double, now: Double) {
            self.timeout = timeout
            deadline = now + timeout
            do throws(GSError) {
                let request = SpawnRequest(arguments: arguments, environment: environment, directory: directory)
                phase = .running(try Spawner.spawn(request))
            } catch {
                phase = .finished(.failed(error.message))
            }
        }

        deinit {
            if descriptor >= 0 { close(descriptor) }
            if case .running(let pid) = phase {
                kill(-pid, SIGKILL)
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            }
        }

        /// The outcome once there is one; nil while the probe is still going.
        func poll(now: Double) -> Outcome? {
            switch phase {
            case .connecting:
                if ready(for: Int16(POLLOUT)) {
                    var failure: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &failure, &length)
                    if failure != 0 {
                        finish(.failed("cannot connect: \(FileSystem.errnoText(failure))"))
                    } else {
                        connected()
                    }
                }
            case .reading:
                readResponse()
            case .running(let pid):
                var status: Int32 = 0
                let done = waitpid(pid, &status, WNOHANG)
                if done == pid {
                    let code = Spawner.exitCode(status)
                    phase = .finished(code == 0 ? .passed : .failed("the probe command exited with \(code)"))
                } else if done < 0, errno != EINTR {
                    phase = .finished(.failed("lost the probe command: \(FileSystem.errnoText())"))
                }
            case .finished: break
            }
            if case .finished(let outcome) = phase { return outcome }
            if now >= deadline {
                if case .running(let pid) = phase {
                    kill(-pid, SIGKILL)
                    var status: Int32 = 0
                    while waitpid(pid, &status, 0) < 0, errno == EINTR {}
                }
                finish(.failed("no answer within \(JSONValue.format(timeout)) s"))
                return .failed("no answer within \(JSONValue.format(timeout)) s")
            }
            return nil
        }

        private func ready(for events: Int16) -> Bool {
            var fds = [pollfd(fd: descriptor, events: events, revents: 0)]
            return Glibc.poll(&fds, 1, 0) > 0
        }

        private func connected() {
            guard let request else {
                finish(.passed)
                return
            }
            // A request this small fits any socket buffer: one send is enough.
            let sent = request.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent == request.count else {
                finish(.failed("cannot send the request: \(FileSystem.errnoText())"))
                return
            }
            phase = .reading
            readResponse()
        }

        private func readResponse() {
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if count > 0 {
                    response += chunk[0..<count]
                    if response.contains(UInt8(ascii: "\n")) || response.count > 8192 { break }
                    continue
                }
                if count < 0, errno == EINTR { continue }
                if count < 0, errno == EAGAIN || errno == EWOULDBLOCK { return }
                break  // end of file or an error: judge what arrived
            }
            finish(Self.judge(response))
        }

        /// `HTTP/1.x NNN ...`: 2xx passes.
        static func judge(_ response: [UInt8]) -> Outcome {
            let line = response.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }
            let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 2)
            guard parts.count >= 2, parts[0].starts(with: Array("HTTP/".utf8)),
                let code = Int(String(decoding: parts[1], as: UTF8.self))
            else { return .failed(response.isEmpty ? "no HTTP response" : "not an HTTP response") }
            return (200..<300).contains(code) ? .passed : .failed("HTTP \(code)")
        }

        private func finish(_ outcome: Outcome) {
            if descriptor >= 0 {
                close(descriptor)
                descriptor = -1
            }
            phase = .finished(outcome)
        }
    }
}
