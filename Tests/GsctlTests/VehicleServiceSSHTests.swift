import Foundation
import GSCore
import GSTestHosts
import Testing

/// The example repository's vehicle-analysis service, as shipped in `Specs/` (the person
/// detector stands in for a vehicle model, see Specs/README.md), end to end on a namespace
/// host over real SSH at its own `precision: auto`: `vtest.avi` replayed at 10 FPS in a loop
/// -> detect -> track -> count -> serve. People walk both ways across the lane line mid-frame
/// (23 crossings in the video's 80 s, measured with the same task modules), so within the
/// first 40 s the service must have counted crossings in both directions, and its
/// per-interval totals must add up to the line's totals.
@Suite(.serialized, .enabled(if: NamespaceHosts.isAvailable, NamespaceHosts.skipComment))
struct VehicleServiceSSHTests {
    static let video = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
    static let service = ExampleService(workflow: "vehicle-analysis", precision: "auto", port: 8081)

    @Test func crossingsAreCountedByDirectionAndInterval() throws {
        guard FileManager.default.fileExists(atPath: Self.video) else {
            Issue.record("\(Self.video) is missing: apt-get install opencv-doc")
            return
        }
        let fleet = try SSHFleet(tag: "veh", count: 1) { fleet in try Self.service.writeSpecs(fleet) }
        defer { fleet.cleanUp() }
        let applied = try fleet.apply()
        #expect(applied.status == 0, "\(applied.err)\n\(applied.out)")
        let choices = try ExampleService.choices(fleet)
        #expect(choices["person-detector"]?.measured.count ?? 0 >= 2, "\(choices)")

        var counts: [String: Any] = [:]
        let reached = eventually(within: 150) {
            counts = (Self.service.get(fleet, "/counts") as? [String: Any]) ?? [:]
            return (counts["frame"] as? Int ?? 0) >= 400
        }
        #expect(reached, "the service did not reach frame 400: \(counts)")
        let body = counts["counts"] as? [String: Any] ?? [:]
        let lane = (body["lines"] as? [String: [String: Int]])?["lane"] ?? [:]
        #expect((lane["in"] ?? 0) >= 2 && (lane["out"] ?? 0) >= 2, "lane crossings: \(lane)")
        // The per-interval totals (60 s of the video's clock each) add up to the line's totals.
        let intervals = body["intervals"] as? [[String: Any]] ?? []
        var summed = ["in": 0, "out": 0]
        for interval in intervals {
            let totals = (interval["lines"] as? [String: [String: Int]])?["lane"] ?? [:]
            for direction in ["in", "out"] { summed[direction, default: 0] += totals[direction] ?? 0 }
        }
        #expect(!intervals.isEmpty && summed == lane, "intervals \(intervals) vs lane \(lane)")
    }
}
