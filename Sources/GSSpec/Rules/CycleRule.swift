import GSCore

/// GS400: tasks that need each other can never start. Each cycle is printed as the path
/// `a -> b -> c -> a` and reported at the `needs` entry that closes it.
struct CycleRule: Rule {
    var codes: [DiagnosticCode] { [.cycle] }

    func check(_ context: RuleContext) -> [Diagnostic] {
        context.specs.workflows.flatMap(cycles)
    }

    func cycles(_ workflow: Workflow) -> [Diagnostic] {
        let graph = TaskGraph(workflow)
        return graph.dag.cycles().map { path in
            let names = path.map { workflow.tasks[$0].name.value }
            let from = workflow.tasks[path[0]]
            let location = from.needs.first { $0.value == names[1] }?.location ?? from.name.location
            return Diagnostic(
                .cycle, location,
                "dependency cycle in workflow `\(workflow.name)`: \(names.joined(separator: " -> "))",
                hint: "remove one of these `needs` entries")
        }
    }
}

/// A workflow's tasks as a DAG (first task of each name; unknown needs are left out).
public struct TaskGraph: Sendable {
    public let dag: DAG
    public let indexByName: [String: Int]

    public init(_ workflow: Workflow) {
        var indexByName: [String: Int] = [:]
        for (index, task) in workflow.tasks.enumerated() where indexByName[task.name.value] == nil {
            indexByName[task.name.value] = index
        }
        var dag = DAG(count: workflow.tasks.count)
        for (index, task) in workflow.tasks.enumerated() {
            for need in task.needs {
                if let dependency = indexByName[need.value] { dag.addEdge(from: index, needs: dependency) }
            }
        }
        self.dag = dag
        self.indexByName = indexByName
    }
}
