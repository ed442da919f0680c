import Foundation

/// A process a test starts: the test's environment plus `environment`, stdout and stderr each read on its own
/// thread as they come (so neither pipe fills and stalls the child), a signal sent once stdout shows a text,
/// and `wait()` for the exit status and everything said. The one runner of the command-line, distributed,
/// serve and reference-script tests.
public final class ChildProcess: @unchecked Sendable {
    public struct Result: Sendable {
        public var status: Int32
        public var out: String
        public var err: String
    }

    public let process = Process()
    private let out = Output(), err = Output()
    private let readers = DispatchGroup()
    private var signalled = false  // touched by the stdout reader alone

    /// `signalAfter`: once stdout contains the text, the process gets the signal (once).
    public init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                signalAfter: (text: String, signal: Int32)? = nil) throws {
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let o = Pipe(), e = Pipe()
        process.standardOutput = o
        process.standardError = e
        try process.run()
        var signalOnLine: (@Sendable (String) -> Void)?
        if let s = signalAfter {
            signalOnLine = { [self] text in
                guard !signalled, text.contains(s.text) else { return }
                signalled = true
                send(s.signal)
            }
        }
        read(o.fileHandleForReading, into: out, onChunk: signalOnLine)
        read(e.fileHandleForReading, into: err, onChunk: nil)
    }

    public var pid: pid_t { process.processIdentifier }

    /// What stdout has said so far.
    public var output: String { out.text }

    public func send(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// True once stdout contains `text`; false if the process ends or `timeout` seconds pass first.
    public func waitForOutput(containing text: String, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if out.text.contains(text) { return true }
            if !process.isRunning { return out.text.contains(text) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    @discardableResult
    public func wait() -> Result {
        process.waitUntilExit()
        readers.wait()
        return Result(status: process.terminationStatus, out: out.text, err: err.text)
    }

    /// `onChunk` sees all of the output so far after each chunk (decoded only when there is one to see it).
    private func read(_ handle: FileHandle, into output: Output, onChunk: (@Sendable (String) -> Void)?) {
        DispatchQueue.global().async(group: readers) {
            while true {
                let d = handle.availableData
                if d.isEmpty { return }  // end of file: the child closed its side (exited)
                output.append(d)
                onChunk?(output.text)
            }
        }
    }

    private final class Output: @unchecked Sendable {
        private var data = Data()
        private let lock = NSLock()
        func append(_ d: Data) { lock.lock(); data.append(d); lock.unlock() }
        var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
    }
}
