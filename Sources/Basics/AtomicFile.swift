import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whole-file writes that never leave a half-written file: the bytes go to a temporary file beside the
/// target, which is flushed to disk, renamed over the target, and the folder entry flushed too. The one
/// atomic-write mechanism of the project (checkpoints, CSVs, JSON, images).
public enum AtomicFile {
    /// A failure naming the path and the system's reason.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Prefix of the temporary files, so stale ones (a kill during a write) can be recognised.
    public static func temporaryName(for name: String) -> String { ".\(name).tmp-" }

    /// Calls `write` with a temporary path in the target's folder, then moves the result over `url`.
    public static func write(to url: URL, _ write: (URL) throws -> Void) throws {
        let dir = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw Failure(description: "\(dir.path): cannot create the folder (\(error.localizedDescription))")
        }
        let tmp = dir.appendingPathComponent(
            temporaryName(for: url.lastPathComponent) + "\(getpid())-\(UInt32.random(in: 0 ... .max))")
        do {
            try write(tmp)
            try sync(tmp.path)
            guard rename(tmp.path, url.path) == 0 else {
                throw Failure(description: "\(url.path): cannot move the new file into place (\(reason()))")
            }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw error
        }
        try? sync(dir.path)  // some file systems refuse fsync on a folder; the rename itself is done
    }

    /// Removes the temporary files in `dir` that a killed process left behind (`.NAME.tmp-PID-RAND` whose PID
    /// is no longer running); those of live processes are kept. Returns what was removed.
    @discardableResult
    public static func removeStale(in dir: URL) -> [URL] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        var removed: [URL] = []
        for name in names where name.hasPrefix(".") {
            guard let r = name.range(of: ".tmp-", options: .backwards) else { continue }
            let tail = name[r.upperBound...].split(separator: "-")
            guard tail.count == 2, let pid = Int32(tail[0]), pid > 0, UInt32(tail[1]) != nil else { continue }
            if pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH { continue }
            let url = dir.appendingPathComponent(name)
            if unlink(url.path) == 0 { removed.append(url) }
        }
        return removed
    }

    /// Writes `data` atomically.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { tmp in
            do { try data.write(to: tmp) } catch {
                throw Failure(description: "\(url.path): cannot write (\(error.localizedDescription))")
            }
        }
    }

    /// Writes UTF-8 text atomically.
    public static func write(_ text: String, to url: URL) throws { try write(Data(text.utf8), to: url) }

    private static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure(description: "\(path): cannot open to flush (\(reason()))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure(description: "\(path): cannot flush to disk (\(reason()))") }
    }

    private static func reason() -> String { String(cString: strerror(errno)) }
}
