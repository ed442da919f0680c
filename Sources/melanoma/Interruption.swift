import Dispatch
import Foundation
import MelanomaKit

/// Ctrl-C (SIGINT) and SIGTERM during a long command: instead of dying in silence, say what is saved and how
/// to continue, then exit 130 as a shell expects of an interrupted program.
enum Interruption {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Installs the handlers; `message` is computed when the signal arrives (nil: exit without a word, as
    /// the workers of a job other than rank 0 do).
    static func explain(_ message: @escaping @Sendable () -> String?) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                if let text = message() { FileHandle.standardError.write(Data(("\ninterrupted: " + text + "\n").utf8)) }
                _exit(130)  // no exit handlers: other threads are inside libtorch, and every file is written atomically
            }
            source.resume()
            sources.append(source)
        }
    }

    /// What a training run left: per fold, finished or the last completed epoch, and the command to go on.
    static func trainingSummary(_ o: RunOptions) -> String {
        let dir = URL(fileURLWithPath: o.modelDir)
        let folds = o.folds.map { fold -> String in
            let store = ResumeStore(modelDir: dir, names: o.names, fold: fold)
            guard let state = try? TrainState.load(from: store.stateURL) else { return "fold \(fold): nothing saved" }
            if state.finished { return "fold \(fold): finished" }
            return state.epochDone == 0 ? "fold \(fold): nothing saved"
                : "fold \(fold): epochs 1-\(state.epochDone) of \(state.nEpochs) saved"
        }
        return folds.joined(separator: "; ") + " (in \(dir.standardizedFileURL.path)). "
            + "Run the same command with --resume to continue from the last completed epoch."
    }
}
