import Basics
import Foundation
import MelanomaKit

/// `melanoma train --nproc-per-node N`: torchrun's job without Python. Starts N workers of the same command
/// on this machine, each with the variables torchrun would give it (RANK, LOCAL_RANK, WORLD_SIZE,
/// LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), and watches them: when one fails, the others are stopped
/// (SIGTERM, then SIGKILL after a grace period) and the launcher exits with the failed worker's status.
struct Launcher {
    var nprocPerNode: Int
    var nnodes = 1
    var nodeRank = 0
    var masterAddr: String?
    var masterPort: Int?
    var timeout = WorkerEnvironment.defaultTimeout
    /// Seconds the other workers get to exit after SIGTERM.
    static let grace = 5.0
    /// The workers' process ids, for the signal handler (which can capture nothing).
    nonisolated(unsafe) static var workers: [pid_t] = []

    /// The flags the launcher consumes; the workers run the rest of the command line.
    static let ownFlags: Set<String> = ["--nproc-per-node", "--nnodes", "--node-rank", "--master-addr", "--master-port"]

    func validate() throws {
        guard (1 ... 1024).contains(nprocPerNode) else { throw RunError(.nprocPerNode, "must be in 1...1024, got \(nprocPerNode)") }
        guard nnodes >= 1 else { throw RunError(.nnodes, "must be at least 1, got \(nnodes)") }
        guard (0 ..< nnodes).contains(nodeRank) else {
            throw RunError(.nodeRank, "must be in 0...\(nnodes - 1) for --nnodes \(nnodes), got \(nodeRank)")
        }
        if nnodes > 1, masterAddr == nil {
            throw RunError(.masterAddr, "is needed with --nnodes \(nnodes): the address of the machine with --node-rank 0, "
                + "which every machine can reach")
        }
        if let masterPort, !(1 ... 65535).contains(masterPort) { throw RunError(.masterPort, "must be in 1...65535, got \(masterPort)") }
        guard timeout > 0 else { throw RunError(.distTimeout, "must be a positive number of seconds, got \(timeout)") }
    }

    /// Starts the workers and returns the job's exit status.
    func run(arguments: [String], say: (String) -> Void) throws -> Int32 {
        try validate()
        let port: Int
        if let masterPort {
            if nodeRank == 0, TCPPort.isInUse(masterPort) {
                throw RunError(.masterPort, "port \(masterPort) on this machine is in use: another job or program listens there")
            }
            port = masterPort
        } else if nnodes == 1 {
            guard let free = TCPPort.free() else { throw RunError(.masterPort, "no free port found on 127.0.0.1; give one") }
            port = free
        } else {
            port = 29500
        }
        let addr = masterAddr ?? "127.0.0.1"
        let world = nnodes * nprocPerNode
        let argv = Launcher.workerArguments(arguments)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let first = nodeRank * nprocPerNode, last = first + nprocPerNode - 1
        say("launch    \(plural(nprocPerNode, "worker")) on this machine (\(first == last ? "rank \(first)" : "ranks \(first)-\(last)") "
            + "of \(world)), store at \(addr):\(port)")
        var pids: [pid_t: Int] = [:]
        for local in 0 ..< nprocPerNode {
            let w = WorkerEnvironment(rank: nodeRank * nprocPerNode + local, localRank: local, worldSize: world,
                                      localWorldSize: nprocPerNode, masterAddr: addr, masterPort: port, timeout: timeout)
            var env = ProcessInfo.processInfo.environment.merging(w.variables) { $1 }
            // The cores are split among the workers, as torchrun does for more than one.
            if env["OMP_NUM_THREADS"] == nil { env["OMP_NUM_THREADS"] = "\(max(1, cores / nprocPerNode))" }
            pids[try Launcher.spawn(argv, environment: env)] = w.rank
        }
        return supervise(pids, say: say)
    }

    /// Waits for every worker; the first to fail stops the rest.
    func supervise(_ running: [pid_t: Int], say: (String) -> Void) -> Int32 {
        var running = running
        // Ctrl-C or SIGTERM: passed on to the workers (rank 0 says what is saved), then the launcher waits.
        Launcher.workers = Array(running.keys)
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { s in for p in Launcher.workers { kill(p, s) } }
        }
        // A parent may have started us with these blocked (Foundation's Process does); they must arrive.
        var unblock = Launcher.signalSet([SIGINT, SIGTERM])
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        var failed: (rank: Int, status: Int32)?
        var deadline: Double?
        while !running.isEmpty {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, deadline == nil ? 0 : WNOHANG)
            if pid > 0, let rank = running.removeValue(forKey: pid) {
                let code = Launcher.exitCode(status)
                if code != 0, failed == nil {
                    failed = (rank, code)
                    say("launch    rank \(rank) \(Launcher.describe(status)); stopping "
                        + (running.count == 1 ? "the other worker" : "the other \(running.count) workers"))
                    for p in running.keys { kill(p, SIGTERM) }
                    deadline = ProgressBar.now() + Launcher.grace
                }
                continue
            }
            if let d = deadline, ProgressBar.now() > d {
                for p in running.keys { kill(p, SIGKILL) }
                deadline = .infinity
            }
            if pid == 0 { usleep(50_000) } else if pid < 0 && errno != EINTR { break }
        }
        return failed?.status ?? 0
    }

    /// The command line without the launcher's own flags (`--flag value` and `--flag=value`).
    static func workerArguments(_ args: [String]) -> [String] {
        var out: [String] = []
        var skip = false
        for a in args {
            if skip { skip = false; continue }
            if ownFlags.contains(a) { skip = true; continue }
            if let eq = a.firstIndex(of: "="), ownFlags.contains(String(a[..<eq])) { continue }
            out.append(a)
        }
        return out
    }

    static func spawn(_ args: [String], environment: [String: String]) throws -> pid_t {
        var pid: pid_t = 0
        let exe = "/proc/self/exe"
        let cArgs = ([exe] + args).map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArgs + cEnv).forEach { free($0) } }
        // Workers start with no signal blocked and SIGINT/SIGTERM at their defaults, whatever we inherited.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = signalSet([])
        var defaults = signalSet([SIGINT, SIGTERM])
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let rc = posix_spawn(&pid, exe, nil, &attr, cArgs, cEnv)
        guard rc == 0 else { throw RunError(.nprocPerNode, "cannot start a worker: \(String(cString: strerror(rc)))") }
        return pid
    }

    static func signalSet(_ signals: [Int32]) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals { sigaddset(&set, s) }
        return set
    }

    static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        return signal == 0 ? "exited with status \((status >> 8) & 0xff)" : "was killed by signal \(signal)"
    }
}
