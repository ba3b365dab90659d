import GSCore
import Testing

@testable import GSAgent

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// `gsctl logs` reads what the supervisor writes: the last lines of a log, and a follower's
/// cursor that survives both ways the supervisor rotates (rename, or copy and truncate while
/// the task holds the file open), showing each line once.
@Suite struct LogTailTests {
    let layout: HostLayout

    init() throws {
        var template = Array("/tmp/gsctl-logs-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        layout = HostLayout(root: String(cString: try #require(made)))
        try FileSystem.makeDirectories(layout.logs)
    }

    var log: String { FileSystem.join(layout.logs, "detect.log") }

    /// Appends as a task does (O_APPEND), creating the file.
    func append(_ text: String, to path: String? = nil) {
        let fd = open(path ?? log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    func text(_ chunk: LogTail.Chunk) -> String { String(decoding: chunk.bytes, as: UTF8.self) }

    @Test func lastLinesComeFromTheEndAndReachIntoTheRotatedFile() throws {
        defer { FileSystem.removeTree(layout.root) }
        append((1...5).map { "old \($0)\n" }.joined(), to: log + ".1")
        append("new 1\nnew 2\npartial")
        #expect(text(try LogTail.last(layout, name: "detect", lines: 2)) == "new 2\npartial")
        #expect(text(try LogTail.last(layout, name: "detect", lines: 5)) == "old 4\nold 5\nnew 1\nnew 2\npartial")
        #expect(text(try LogTail.last(layout, name: "detect", lines: 0)) == "")
        // The byte limit keeps the newest bytes.
        #expect(text(try LogTail.last(layout, name: "detect", lines: 100, limit: 7)) == "partial")
    }

    @Test func onlyTheHostsOwnLogsCanBeNamed() throws {
        defer { FileSystem.removeTree(layout.root) }
        append("x\n")
        append("y\n", to: FileSystem.join(layout.logs, "supervisor.log"))
        #expect(LogTail.names(layout) == ["detect", "supervisor"])
        for name in ["nope", "../state", "detect.log", ""] {
            do {
                _ = try LogTail.last(layout, name: name, lines: 1)
                Issue.record("`\(name)` was read")
            } catch {
                #expect(error.message.contains("no log named"))
                #expect(error.hint == "logs here: detect, supervisor")
            }
        }
    }

    @Test func followerSeesEachLineOnceAcrossBothKindsOfRotation() throws {
        defer { FileSystem.removeTree(layout.root) }
        append("line 1\nline 2\n")
        var chunk = try LogTail.last(layout, name: "detect", lines: 1)
        var seen = text(chunk)
        append("line 3\n")
        chunk = try LogTail.since(layout, name: "detect", cursor: chunk.cursor)
        seen += text(chunk)
        // The task holds its log open: copied to .1 and truncated in place (same inode).
        append("line 4\n")
        #expect(Supervisor.LogRotation.rotateIfNeeded(log, limit: 1, keep: 3, inUse: true))
        append("line 5\n")
        chunk = try LogTail.since(layout, name: "detect", cursor: chunk.cursor)
        seen += text(chunk)
        #expect(chunk.skipped == 0)
        // Nothing holds it: renamed to .1, a new file takes its place (another inode).
        append("line 6\n")
        #expect(Supervisor.LogRotation.rotateIfNeeded(log, limit: 1, keep: 3, inUse: false))
        append("line 7\n")
        chunk = try LogTail.since(layout, name: "detect", cursor: chunk.cursor)
        seen += text(chunk)
        #expect(chunk.skipped == 0)
        chunk = try LogTail.since(layout, name: "detect", cursor: chunk.cursor)
        #expect(chunk.bytes.isEmpty)
        #expect(seen == (2...7).map { "line \($0)\n" }.joined())
    }

    /// Copy-and-truncate while the task keeps writing fast: by the next read the file has
    /// grown past the cursor again, same inode. The new `.1` gives the rotation away.
    @Test func aRotationIsSeenEvenWhenTheFileGrewPastTheCursorAgain() throws {
        defer { FileSystem.removeTree(layout.root) }
        append("a 1\na 2\n")
        var chunk = try LogTail.last(layout, name: "detect", lines: 5)
        var seen = text(chunk)
        append("a 3\n")
        #expect(Supervisor.LogRotation.rotateIfNeeded(log, limit: 1, keep: 3, inUse: true))
        append((1...10).map { "b \($0)\n" }.joined())  // longer than what the cursor had read
        chunk = try LogTail.since(layout, name: "detect", cursor: chunk.cursor)
        seen += text(chunk)
        #expect(chunk.skipped == 0)
        append("b 11\n")
        chunk = try LogTail.since(layout, name: "detect", cursor: chunk.cursor)
        seen += text(chunk)
        #expect(seen == ["a 1", "a 2", "a 3"].map { $0 + "\n" }.joined() + (1...11).map { "b \($0)\n" }.joined())
    }

    @Test func aFollowerThatFallsBehindIsToldWhatWentByUnread() throws {
        defer { FileSystem.removeTree(layout.root) }
        append("a\n")
        var chunk = try LogTail.last(layout, name: "detect", lines: 1)
        append(String(repeating: "b", count: 99) + "\n")
        chunk = try LogTail.since(layout, name: "detect", cursor: chunk.cursor, limit: 40)
        #expect(chunk.bytes.count == 40)
        #expect(chunk.skipped == 60)
        chunk = try LogTail.since(layout, name: "detect", cursor: chunk.cursor, limit: 100)
        #expect(chunk.bytes.count == 60)
        #expect(chunk.skipped == 0)
    }
}
