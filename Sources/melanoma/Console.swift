import ArgumentParser
import Foundation
import MelanomaKit

extension NameSpecification {
    /// A long flag spelled as the user types it, so grepping `--init-lr` finds its declaration.
    static func flag(_ spelled: String) -> NameSpecification {
        precondition(spelled.hasPrefix("--"), "flags are spelled with their dashes")
        return .customLong(String(spelled.dropFirst(2)))
    }
}

extension Setting {
    /// The flag that sets this setting, for error messages.
    var flag: String {
        switch self {
        case .kernelType: "--kernel-type"
        case .dataDir: "--data-dir"
        case .dataFolder: "--data-folder"
        case .imageSize: "--image-size"
        case .enetType: "--enet-type"
        case .batchSize: "--batch-size"
        case .numWorkers: "--num-workers"
        case .outDim: "--out-dim"
        case .useMeta: "--use-meta"
        case .nMetaDim: "--n-meta-dim"
        case .useAMP: "--use-amp"
        case .debug: "--DEBUG"
        case .modelDir: "--model-dir"
        case .logDir: "--log-dir"
        case .oofDir: "--oof-dir"
        case .subDir: "--sub-dir"
        case .folds: "--fold"
        case .device: "--device"
        case .seed: "--seed"
        case .nEpochs: "--n-epochs"
        case .initLR: "--init-lr"
        case .pretrained: "--pretrained"
        case .resume: "--resume"
        case .nTest: "--n-test"
        case .eval: "--eval"
        case .weights: "--weights"
        case .nprocPerNode: "--nproc-per-node"
        case .nnodes: "--nnodes"
        case .nodeRank: "--node-rank"
        case .masterAddr: "--master-addr"
        case .masterPort: "--master-port"
        case .distTimeout: "--dist-timeout"
        case .synthSize: "--size"
        case .synthTrain: "--train"
        case .synthTest: "--test"
        case .synthExternal: "--external"
        case .malignantRate: "--malignant-rate"
        }
    }
}

/// Runs a command body; a failure prints one line naming the command (and the flag, when a setting is at
/// fault) and exits 1, whatever layer it came from.
func reportingErrors(_ command: String, _ body: () throws -> Void) throws {
    do { try body() } catch let e as ExitCode { throw e } catch {
        let text: String
        switch error {
        case let e as RunError where e.setting != nil: text = "\(e.setting!.flag): \(e.message)"
        case let e as ValidationError: text = e.message
        default: text = "\(error)"
        }
        FileHandle.standardError.write(Data("\(command): \(text)\n".utf8))
        throw ExitCode(1)
    }
}

/// Prints a line at once (stdout is block-buffered when piped to a log).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func parseInts(_ text: String, flag: String) throws -> [Int] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    let values = parts.compactMap { Int($0) }
    guard !parts.isEmpty, values.count == parts.count else {
        throw ValidationError("\(flag) takes integers separated by commas, got '\(text)'")
    }
    return values
}

/// "1 epoch", "2 epochs".
func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
