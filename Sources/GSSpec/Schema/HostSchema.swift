/// `kind: Host`: one edge host of the inventory.
enum HostSchema {
    static let spec = ObjectSchema(
        "HostSpec", "an edge host and how to reach it",
        conditions: [Condition(when: "transport", is: ["ssh"], requires: ["address"])],
        [
            Property("device", .text(.name), required: true, "the Device this host is"),
            Property("transport", .oneOf(Transport.words), default: "ssh", "how gsctl reaches the host"),
            Property("address", .text(.address), "host name or IP address (ssh)"),
            Property("port", .integer(minimum: 1, maximum: 65535), default: "22", "SSH port"),
            Property("user", .text(.label), default: "root", "SSH user"),
            Property("identityFile", .text(.path), "SSH private key, relative to this file"),
            Property(
                "root", .text(.path), default: "/var/lib/gsctl",
                "directory on the host that holds releases (local: a directory on this machine)"),
        ])
}
