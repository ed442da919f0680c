import Basics
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A run's claim on its files: an exclusive `flock` on `{model-dir}/.{kernel}.lock`, held until the process ends
/// or the lock is released. Two trainings of one kernel into one folder would overwrite each other's
/// checkpoints, resume states and log lines; the second one fails at once, naming the holder.
public final class RunLock: @unchecked Sendable {
    public let url: URL
    private var fd: Int32

    /// The lock file of a kernel type in a model folder.
    public static func url(modelDir: URL, kernelType: String) -> URL {
        modelDir.appendingPathComponent(".\(kernelType).lock")
    }

    /// Takes the lock without waiting, or throws naming who holds it (pid, host, start time).
    public init(modelDir: URL, kernelType: String) throws {
        url = RunLock.url(modelDir: modelDir, kernelType: kernelType)
        fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw RunError(.modelDir, "\(url.path): cannot create the run's lock file (\(String(cString: strerror(errno))))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOf: url, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            fd = -1
            throw RunError(.kernelType, "another run of '\(kernelType)' is using \(modelDir.path) "
                + "(\(holder.isEmpty ? "holder unknown" : holder)); wait for it to end, or use another "
                + "kernel type or model folder")
        }
        // Who holds it, for the message a second run prints; the lock itself is the flock, not this text.
        let text = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName) since \(ISO8601DateFormatter().string(from: Date()))\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    /// Releases the lock (the file stays; a later run locks it again).
    public func release() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    deinit { release() }
}

/// Checks made before a command spends any time: its output folders exist (or can be made) and take files.
public enum RunFolders {
    /// Creates `path` if needed and proves a file can be written there, or throws naming the folder and setting.
    public static func checkWritable(_ path: String, setting: Setting) throws {
        let dir = URL(fileURLWithPath: path)
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), !isDir.boolValue {
            throw RunError(setting, "\(dir.path) is a file, not a folder")
        }
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            // Foundation's message here is a bare error code; the usual cause is a file where a folder should be.
            var up = dir.deletingLastPathComponent()
            while up.path != "/" && !FileManager.default.fileExists(atPath: up.path) { up = up.deletingLastPathComponent() }
            if FileManager.default.fileExists(atPath: up.path, isDirectory: &isDir), !isDir.boolValue {
                throw RunError(setting, "\(dir.path): cannot create the folder: \(up.path) is a file")
            }
            throw RunError(setting, "\(dir.path): cannot create the folder (\(error.localizedDescription))")
        }
        let probe = dir.appendingPathComponent(AtomicFile.temporaryName(for: "probe") + "\(getpid())-0")
        let fd = open(probe.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw RunError(setting, "\(dir.path): cannot write files there (\(String(cString: strerror(errno))))")
        }
        close(fd)
        unlink(probe.path)
    }

    /// Removes temporary files that killed processes left in `path` (see `AtomicFile.removeStale`); returns them.
    @discardableResult
    public static func removeStaleTemporaries(_ path: String) -> [String] {
        AtomicFile.removeStale(in: URL(fileURLWithPath: path)).map(\.lastPathComponent)
    }
}

extension Dataset {
    /// A digest of what training reads from the data: every training row's name, class, fold, origin and
    /// metadata, in order. A resume refuses to continue when it differs (train.csv or folds.csv changed).
    public var fingerprint: String {
        var h = FNV1a()
        h.add("\(classes)|\(melIdx)|\(metaFeatureNames)\n")
        for s in train {
            h.add("\(s.imageName)|\(s.target)|\(s.fold)|\(s.isExt)|")
            for v in s.meta { h.add(v.bitPattern) }
            h.add("\n")
        }
        return String(format: "%016llx", h.value)
    }
}

/// 64-bit FNV-1a: a stable digest (Swift's Hasher is seeded per process).
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ text: String) { for b in text.utf8 { add(byte: b) } }
    mutating func add(_ word: UInt32) { for k in 0 ..< 4 { add(byte: UInt8(truncatingIfNeeded: word >> (8 * k))) } }
    mutating func add(byte: UInt8) {
        value ^= UInt64(byte)
        value = value &* 0x100_0000_01b3
    }
}
