import Foundation

/// Runs the python reference scripts of Tests/Reference at test time, so golden fixtures are
/// produced by the real libraries (torch, geffnet, albumentations, pandas, scikit-learn...).
public enum Reference {
    /// The package root (two levels above this file's folder).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var python: String {
        if let p = ProcessInfo.processInfo.environment["MELANOMA_PYTHON"], !p.isEmpty { return p }
        return packageRoot.appendingPathComponent(".venv/bin/python").path
    }

    /// A fresh temporary directory, removed by the caller when done (or left for inspection).
    public static func temporaryDirectory(_ tag: String = "melanoma-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(tag)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Runs `Tests/Reference/<script>` with `args`; returns its stdout. Throws with stderr on failure.
    @discardableResult
    public static func run(_ script: String, _ args: [String] = []) throws -> String {
        let env = ProcessInfo.processInfo.environment
        let r = try ChildProcess(URL(fileURLWithPath: python), [packageRoot.appendingPathComponent("Tests/Reference/\(script)").path] + args,
                                 environment: ["PYTHONHASHSEED": "0", "OMP_NUM_THREADS": env["OMP_NUM_THREADS"] ?? "2"]).wait()
        guard r.status == 0 else { throw Failure(description: "python \(script) failed (\(r.status)): \(r.err)") }
        return r.out
    }
}
