import Foundation

/// Work spread over every core (Dispatch's concurrentPerform) that stops at the first failure.
public enum Parallel {
    /// Runs `body(i)` for every i in 0..<count, in no particular order; once one call throws, calls not yet
    /// started are skipped and the first error is rethrown.
    public static func forEach(_ count: Int, _ body: @Sendable (Int) throws -> Void) throws {
        let failure = FirstError()
        DispatchQueue.concurrentPerform(iterations: count) { i in
            if failure.get() != nil { return }
            do { try body(i) } catch { failure.set(error) }
        }
        if let e = failure.get() { throw e }
    }

    private final class FirstError: @unchecked Sendable {
        private let lock = NSLock()
        private var error: Error?
        func set(_ e: Error) { lock.lock(); if error == nil { error = e }; lock.unlock() }
        func get() -> Error? { lock.lock(); defer { lock.unlock() }; return error }
    }
}
