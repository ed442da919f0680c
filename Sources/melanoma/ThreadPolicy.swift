import Foundation

/// libtorch's OpenMP threads spin while they wait for work (libgomp's default). On a machine of its own that is
/// the fast choice; next to other busy processes the spinning threads steal the cores the working threads need.
/// Measured here (bench/omp-policy.sh, B0 at 64 px, 2 cores): quiet, spinning 297-321 images/s against 190-196
/// passive; next to one busy process, 95-99 spinning against 129 passive; with several (load average 5-6)
/// about 4 against 45. The policy is read once, when libgomp starts, so it must be in the environment before
/// the process begins: unless `OMP_WAIT_POLICY` is set, `melanoma` looks at how busy the other cores are
/// for 0.2 s and, when others already use half a core or more, starts itself again with the passive policy.
enum ThreadPolicy {
    /// The commands whose work runs in libtorch's thread pool (and doctor, which reports the choice); the
    /// others skip the 0.2 s look.
    static let torchCommands: Set<String> = ["train", "evaluate", "predict", "demo", "predict-image", "serve", "bench",
                                             "doctor"]

    static func passiveWhenShared() {
        let env = ProcessInfo.processInfo.environment
        let command = CommandLine.arguments.dropFirst().first ?? ""
        guard env["OMP_WAIT_POLICY"] == nil, torchCommands.contains(command), let busy = busyCores(), busy >= 0.5
        else { return }
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1)
        setenv("MELANOMA_BUSY_CORES", String(format: "%.1f", busy), 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Not reached when exec works; otherwise carry on with libgomp's default.
    }

    /// Cores in use by anything over 0.2 s, from /proc/stat (nil where it cannot be read).
    static func busyCores() -> Double? {
        func sample() -> (busy: Double, total: Double)? {
            guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
                  let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
            let v = line.split(separator: " ").dropFirst().compactMap { Double($0) }
            guard v.count >= 5 else { return nil }
            let idle = v[3] + v[4]  // idle + iowait
            let total = v.prefix(8).reduce(0, +)
            return (total - idle, total)
        }
        guard let a = sample() else { return nil }
        usleep(200_000)
        guard let b = sample(), b.total > a.total else { return nil }
        return (b.busy - a.busy) / (b.total - a.total) * Double(ProcessInfo.processInfo.activeProcessorCount)
    }

    /// What doctor prints.
    static var description: String {
        let env = ProcessInfo.processInfo.environment
        switch (env["OMP_WAIT_POLICY"], env["MELANOMA_BUSY_CORES"]) {
        case let (policy?, busy?): return "\(policy) (\(busy) other cores busy at start)"
        case let (policy?, nil): return "\(policy) (set in the environment)"
        default: return "libgomp's default, spinning (the machine was quiet at start)"
        }
    }
}
