import Foundation

/// libtorch's OpenMP threads spin while they wait for work (libgomp's active policy). On a machine whose cores
/// are shared with other busy processes, the spinning threads steal the cores that the working threads need:
/// training here ran at 3.9 images/s with another build running, and at about 45 with the passive policy. The
/// policy is read once, when libgomp starts, so it has to be in the environment before the process begins:
/// the first thing `melanoma` does is start itself again with `OMP_WAIT_POLICY=PASSIVE` unless the variable
/// is already set (set `OMP_WAIT_POLICY=ACTIVE` to keep spinning, on a machine of your own).
enum ThreadPolicy {
    static func passiveUnlessChosen() {
        let env = ProcessInfo.processInfo.environment
        guard env["OMP_WAIT_POLICY"] == nil else { return }
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1)
        let args = CommandLine.unsafeArgv
        execv("/proc/self/exe", args)
        // Not reached when exec works; otherwise carry on with the policy libgomp already has.
    }
}
