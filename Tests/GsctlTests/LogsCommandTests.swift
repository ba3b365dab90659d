import Foundation
import GSCore
import Testing

/// `gsctl logs` on a local host that `gsctl apply` deployed: a task that counts out loud, read
/// through the host's agent, once and followed.
@Suite(.serialized) struct LogsCommandTests {
    /// Prints `tick 1`, `tick 2`, ... ten times a second.
    static let ticker = "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.1; done"

    /// The numbers of the `tick N` lines in `text`, in order.
    static func ticks(_ text: String) -> [Int] {
        text.split(separator: "\n").compactMap { line in
            line.range(of: "tick ").flatMap { Int(line[$0.upperBound...]) }
        }
    }

    @Test func showsATasksLastLinesEveryLogAndFollowsWithoutGapsOrRepeats() throws {
        let repo = try DeployRepo(task: Self.ticker, hosts: 1)
        defer { repo.cleanUp() }
        let applied = try repo.apply()
        #expect(applied.status == 0, "\(applied.err)\n\(applied.out)")

        let tail = try gsctl(["logs", "box1/classify", "--tail", "3", "Specs"], cwd: repo.path)
        #expect(tail.status == 0, "\(tail.err)")
        let last = Self.ticks(tail.out)
        #expect(last.count == 3, "\(tail.out)")
        #expect(last == Array((last.first ?? 0)..<(last.first ?? 0) + 3), "\(tail.out)")

        // HOST alone: every log, each line behind its name; the supervisor's says what it started.
        let all = try gsctl(["logs", "box1", "-n", "20", "Specs"], cwd: repo.path)
        #expect(all.status == 0, "\(all.err)")
        #expect(all.out.contains("classify   | tick "), "\(all.out)")
        #expect(all.out.contains("supervisor | "), "\(all.out)")
        #expect(all.out.contains("started classify (pid "), "\(all.out)")

        // JSON: the lines, without their newlines.
        let json = try gsctl(["logs", "box1/classify", "-n", "2", "--format", "json", "Specs"], cwd: repo.path)
        let object = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any]
        let logs = object?["logs"] as? [[String: Any]]
        #expect((logs?.first?["lines"] as? [String])?.count == 2, "\(json.out)")

        // Followed for three seconds: the numbers run on without a gap or a repeat.
        let follow = try Subprocess.run([
            "sh", "-c", "cd \"$0\" && exec timeout -s INT 3 \"$@\"", repo.path, CLI.binary, "logs", "box1/classify",
            "-f", "-n", "1", "Specs",
        ])
        #expect(follow.status == 124, "\(follow.errorText)")
        let followed = Self.ticks(follow.text)
        #expect(followed.count >= 15, "\(follow.text)")
        #expect(followed == Array((followed.first ?? 0)..<(followed.first ?? 0) + followed.count), "\(follow.text)")

        // The fleet's HTML view shows the same task with its CPU and memory.
        let html = try gsctl(["status", "Specs", "-f", "html"], cwd: repo.path)
        #expect(html.out.contains("classify: ready <small>cpu "), "\(html.out)")

        // A task the host does not run: exit 1, and what it has.
        let missing = try gsctl(["logs", "box1/clasify", "Specs"], cwd: repo.path)
        #expect(missing.status == 1)
        #expect(missing.err.contains("no log named `clasify`"), "\(missing.err)")
        #expect(missing.err.contains("logs here: classify, supervisor"), "\(missing.err)")
        #expect(try gsctl(["logs", "box9/classify", "Specs"], cwd: repo.path).status != 0)

        // Following every log picks up a log that appears meanwhile (a new release's task).
        let newLog = repo.host(1) + "/logs/newcomer.log"
        let everything = try Subprocess.run([
            "sh", "-c",
            "cd \"$0\" || exit 1; (sleep 1; echo 'hello from a new task' >> \"$1\") & shift; exec timeout -s INT 8 \"$@\"",
            repo.path, newLog, CLI.binary, "logs", "box1", "-f", "-n", "1", "Specs",
        ])
        #expect(everything.status == 124, "\(everything.errorText)")
        #expect(everything.text.contains("newcomer   | hello from a new task"), "\(everything.text)")
        #expect(everything.text.contains("classify   | tick "), "\(everything.text)")
    }
}
