import Foundation
import Torch

/// A worker's place in a data-parallel job, from the variables torchrun sets for each worker (and
/// `melanoma train --nproc-per-node` sets the same way): RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE,
/// MASTER_ADDR, MASTER_PORT and TORCHELASTIC_USE_AGENT_STORE (torchrun then hosts the store itself).
public struct WorkerEnvironment: Sendable, Equatable {
    public var rank: Int
    public var localRank: Int
    public var worldSize: Int
    public var localWorldSize: Int
    public var masterAddr: String
    public var masterPort: Int
    /// False when torchrun's agent already hosts the store at MASTER_ADDR:MASTER_PORT.
    public var agentHostsStore = false
    /// Seconds to wait for the other workers: to meet, and in any collective.
    public var timeout: Double

    /// The default wait for the other workers (torch's store default is 300 s).
    public static let defaultTimeout = 300.0
    /// The variable the launcher uses to hand `--dist-timeout` to its workers.
    public static let timeoutVariable = "MELANOMA_DIST_TIMEOUT"

    public init(rank: Int, localRank: Int, worldSize: Int, localWorldSize: Int, masterAddr: String, masterPort: Int,
                timeout: Double = WorkerEnvironment.defaultTimeout) {
        (self.rank, self.localRank, self.worldSize, self.localWorldSize) = (rank, localRank, worldSize, localWorldSize)
        (self.masterAddr, self.masterPort, self.timeout) = (masterAddr, masterPort, timeout)
    }

    /// The job these variables describe; nil without RANK and WORLD_SIZE (a process of its own).
    public static func from(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> WorkerEnvironment? {
        guard env["RANK"] != nil || env["WORLD_SIZE"] != nil else { return nil }
        func int(_ name: String, default d: Int? = nil, atLeast low: Int) throws -> Int {
            guard let text = env[name] else {
                if let d { return d }
                throw RunError("\(name) is not set, but RANK or WORLD_SIZE is: a worker of a job needs "
                    + "RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT (torchrun sets them)")
            }
            guard let v = Int(text.trimmingCharacters(in: .whitespaces)), v >= low else {
                throw RunError("\(name)='\(text)' is not an integer >= \(low)")
            }
            return v
        }
        let world = try int("WORLD_SIZE", atLeast: 1)
        let rank = try int("RANK", atLeast: 0)
        guard rank < world else { throw RunError("RANK=\(rank) is outside WORLD_SIZE=\(world) (ranks are 0...\(world - 1))") }
        let localWorld = try int("LOCAL_WORLD_SIZE", default: world, atLeast: 1)
        let localRank = try int("LOCAL_RANK", default: rank % localWorld, atLeast: 0)
        let port = try int("MASTER_PORT", default: 29500, atLeast: 1)
        guard port <= 65535 else { throw RunError(.masterPort, "MASTER_PORT=\(port) is not a port (1...65535)") }
        var timeout = defaultTimeout
        if let text = env[timeoutVariable] {
            guard let t = Double(text), t > 0 else { throw RunError(.distTimeout, "\(timeoutVariable)='\(text)' is not a positive number of seconds") }
            timeout = t
        }
        var w = WorkerEnvironment(rank: rank, localRank: localRank, worldSize: world, localWorldSize: localWorld,
                                  masterAddr: env["MASTER_ADDR"] ?? "127.0.0.1", masterPort: port, timeout: timeout)
        w.agentHostsStore = env["TORCHELASTIC_USE_AGENT_STORE"]?.lowercased() == "true"
        return w
    }

    /// The variables for one worker (what the launcher gives each process it starts).
    public var variables: [String: String] {
        ["RANK": "\(rank)", "LOCAL_RANK": "\(localRank)", "WORLD_SIZE": "\(worldSize)",
         "LOCAL_WORLD_SIZE": "\(localWorldSize)", "MASTER_ADDR": masterAddr, "MASTER_PORT": "\(masterPort)",
         WorkerEnvironment.timeoutVariable: "\(timeout)"]
    }

    /// Rank 0 hosts the store unless torchrun's agent does.
    public var hostsStore: Bool { rank == 0 && !agentHostsStore }

    /// Gloo binds the loopback address for a job on this machine; otherwise this machine's resolved name
    /// (set GLOO_SOCKET_IFNAME to pick an interface, as with torch).
    public var glooHost: String? { WorkerEnvironment.isLoopback(masterAddr) ? "127.0.0.1" : nil }

    static func isLoopback(_ host: String) -> Bool { host == "localhost" || host.hasPrefix("127.") || host == "::1" }

    /// A failure to join the job, said with what usually causes it.
    func explain(joinFailure e: String) -> String {
        let at = "\(masterAddr):\(masterPort)"
        let lower = e.lowercased()
        if lower.contains("eaddrinuse") || lower.contains("address already in use") {
            return "port \(masterPort) on \(masterAddr) is in use: another job or program listens there; "
                + "pick another --master-port (MASTER_PORT)"
        }
        if lower.contains("world size") || lower.contains("claim rank") { return e }
        if lower.contains("timed out") || lower.contains("timeout") {
            return "the job's \(worldSize) workers did not all meet at \(at) within \(Int(timeout)) s "
                + "(--dist-timeout): is every worker started, with the same --master-addr/--master-port and "
                + "--nnodes? (\(e))"
        }
        return "cannot join the job at \(at): \(e)"
    }
}
