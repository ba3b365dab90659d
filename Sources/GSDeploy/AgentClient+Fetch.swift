import GSAgent
import GSCore

extension AgentClient {
    /// `op` whose reply carries raw bytes after its line (`fetch`): the reply and the bytes.
    public func callForBytes(_ op: String, _ fields: [String: JSONValue], timeout: Double? = nil) throws(GSError)
        -> [UInt8]
    {
        try callWithBytes(op, fields, timeout: timeout).bytes
    }

    /// `op` whose reply carries raw bytes after its line (`fetch`, `logs`): the reply's
    /// members and the bytes.
    public func callWithBytes(_ op: String, _ fields: [String: JSONValue], timeout: Double? = nil) throws(GSError)
        -> (reply: JSONValue, bytes: [UInt8])
    {
        let limit = timeout ?? self.timeout + Double(AgentWire.payloadLimit) / 1_000_000
        let reply = try call(op, fields, timeout: limit)
        guard let count = reply["payload"]?.intValue, count >= 0, count <= AgentWire.payloadLimit else {
            throw GSError("\(transport.hostName): \(op): the reply carries no data")
        }
        do throws(GSError) {
            return (reply, try child.readBytes(count, deadline: ChildProcess.now() + limit))
        } catch {
            throw GSError("\(transport.hostName): \(op): \(error.message)")
        }
    }
}
