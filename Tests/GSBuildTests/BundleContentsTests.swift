import GSCore
import GSPlan
import GSSpec
import Testing

@testable import GSBuild

/// What a bundle carries for a `precision: auto` model: every candidate worth measuring on
/// the device, and not one whose compile left it computing as fp32 does.
@Suite struct BundleContentsTests {
    /// The direction classifier's repository at `precision: auto`, planned (nothing compiled)
    /// and each step's outcome made up with the given int8 share of the work.
    static func contents(int8Share: Double) throws -> BundleContents {
        let directory = try BuildFixture.write(precision: "auto")
        defer { FileSystem.removeTree(directory) }
        let specs = Linter.lint(paths: [directory]).specs
        let plan = Planner.plan(specs)
        let bundle = try #require(plan.bundles.first)
        let workflow = try #require(specs.index().workflows[bundle.workflow])
        var steps: [String: StepOutcome] = [:]
        for step in plan.steps {
            let share: JSONValue = step.precision.needs.contains(.int8) ? .double(int8Share) : .null
            steps[step.id] = StepOutcome(
                step: step, key: "key-\(step.precision.rawValue)",
                entry: BuildCache.Entry(directory: "/nonexistent/\(step.precision.rawValue)"),
                report: ["int8Share": share, "met": true], cached: true, seconds: 0)
        }
        #expect(Set(steps.values.map(\.step.precision)) == [.fp32, .fp16, .int8Mixed])
        return try BundleContents.make(bundle, workflow: workflow, steps: steps)
    }

    @Test func anInt8CandidateThatKeptEveryMultiplyAddInFloatIsLeftOut() throws {
        let contents = try Self.contents(int8Share: 0)
        let model = contents.models["direction"] ?? .null
        #expect(model["variants"]?.objectValue?.keys.sorted() == ["fp16", "fp32"])
        #expect(model["leftOut"]?["int8-mixed"]?.stringValue?.contains("would run as fp32 does") == true)
        #expect(!contents.files.contains { $0.path.hasPrefix("models/direction/int8-mixed/") })
        #expect(contents.buildKeys["direction-int8-mixed"] == nil)
        #expect(
            contents.notes == [
                "bundle reader-gateway-auto: direction int8-mixed is not a precision: auto candidate: "
                    + "no multiply-add stayed in INT8 within the Model's tolerance, so it would run as fp32 does"
            ])
    }

    @Test func anInt8CandidateWithInt8WorkIsShipped() throws {
        let contents = try Self.contents(int8Share: 0.83)
        let model = contents.models["direction"] ?? .null
        #expect(model["variants"]?.objectValue?.keys.sorted() == ["fp16", "fp32", "int8-mixed"])
        #expect(model["leftOut"] == nil)
        #expect(contents.notes.isEmpty)
    }
}
