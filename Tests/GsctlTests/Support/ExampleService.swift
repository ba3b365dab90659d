import Foundation
import GSCore
import GSTestHosts

/// One of the example repository's services as shipped in `Specs/` (its workflow file, task
/// programs, the Model specs with their models and data), deployed by one Deployment to the
/// namespace host `box1` of an `SSHFleet`, and read back through its `serve` task's HTTP port.
struct ExampleService {
    let workflow: String
    let precision: String
    /// The serve task's port (from the workflow file).
    let port: Int

    /// Copies the example's models, data, workflow and task programs into the fleet's specs and
    /// adds the gateway Device, the fleet's Host documents and the Deployment.
    func writeSpecs(_ fleet: SSHFleet) throws {
        let files = FileManager.default
        let example = CLI.root + "/Specs"
        for folder in ["models", "data"] {
            try files.copyItem(atPath: example + "/" + folder, toPath: fleet.specs + "/" + folder)
        }
        try files.createDirectory(atPath: fleet.specs + "/workflows", withIntermediateDirectories: true)
        for item in [workflow + ".yaml", "tasks"] {
            try files.copyItem(atPath: example + "/workflows/" + item, toPath: fleet.specs + "/workflows/" + item)
        }
        let yaml = """
            \(DeployRepo.gatewayDevice)\(fleet.hostDocuments())---
            apiVersion: gs.ai/v1
            kind: Deployment
            metadata: {name: \(workflow)-box}
            spec:
              workflow: \(workflow)
              precision: \(precision)
              targets: [{hosts: [box1]}]

            """
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: fleet.specs + "/fleet.yaml"))
    }

    /// GET `path` of the serve task inside the host's network namespace, as JSON.
    func get(_ fleet: SSHFleet, _ path: String) -> Any? {
        let script = """
            import sys, urllib.request
            sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())
            """
        guard
            let output = try? Subprocess.run([
                "ip", "netns", "exec", "gs-" + fleet.hosts[0].name, "python3", "-c", script,
                "http://127.0.0.1:\(port)" + path,
            ]), output.status == 0
        else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(output.text.utf8))
    }

    /// What the host chose per model at `precision: auto` (`gsctl status --host box1`):
    /// model -> (chosen variant, measured variants).
    static func choices(_ fleet: SSHFleet) throws -> [String: (chosen: String, measured: [String])] {
        let status = try gsctl(["status", "Specs", "--host", "box1", "-f", "json"], cwd: fleet.path)
        let hosts = (try? JSONSerialization.jsonObject(with: Data(status.out.utf8))) as? [[String: Any]] ?? []
        var out: [String: (chosen: String, measured: [String])] = [:]
        for table in hosts.first?["models"] as? [[String: Any]] ?? [] {
            guard let model = table["model"] as? String else { continue }
            let measured = (table["rows"] as? [[String: Any]] ?? []).compactMap { $0["variant"] as? String }
            out[model] = (table["chosen"] as? String ?? "", measured)
        }
        return out
    }
}
