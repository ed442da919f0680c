import ArgumentParser
import Foundation
import MelanomaKit
import Torch

/// The data and model flags shared by train, evaluate and predict, under the original's names.
struct RunFlags: ParsableArguments {
    @Option(help: "Experiment name; names weights and logs. Containing 'newfold' or 'oldfold' picks that fold map.")
    var kernelType: String
    @Option(help: "Folder holding jpeg-melanoma-FxF/ (and optionally jpeg-isic2019-FxF/).")
    var dataDir = "./data/"
    @Option(help: "Stored resolution F of the JPEG folders (512, 768, 1024; 128 for the demo data).")
    var dataFolder: Int
    @Option(help: "Network input size (images are augmented at F, then resized to this).")
    var imageSize: Int
    @Option(help: "Backbone: efficientnet_b0..b7, tf_efficientnet_b0_ns..b7_ns, resnest101, seresnext101.")
    var enetType: String
    @Option(help: "Images per batch.") var batchSize = 64
    @Option(help: "Threads decoding and augmenting images (0: on the training thread).") var numWorkers = 2
    @Option(help: "Classes: 9 (2019 diagnoses kept) or 4 (BKL, melanoma, nevus, unknown).") var outDim = 9
    @Flag(help: "Add the 14 metadata features through the meta MLP branch.") var useMeta = false
    @Option(help: "Hidden sizes of the metadata branch.") var nMetaDim = "512,128"
    @Flag(help: "Mixed precision: bf16 autocast (the original used apex O1).") var useAmp = false
    @Flag(name: .customLong("DEBUG"), help: "The original's quick look: a few batches of rows, 5 epochs.") var debug = false
    @Option(help: "Where checkpoints are written and read.") var modelDir = "./weights"
    @Option(help: "Where log_{kernel}.txt is appended.") var logDir = "./logs"
    @Option(help: "cpu, cuda or cuda:N.") var device = "cpu"
    @Option(help: "Seed for weights, shuffling, augmentation and dropout.") var seed: UInt64 = 0

    func options(folds: String = "0,1,2,3,4") throws -> RunOptions {
        var o = RunOptions(kernelType: kernelType, dataDir: dataDir, dataFolder: dataFolder, imageSize: imageSize,
                           enetType: enetType)
        o.batchSize = batchSize
        o.numWorkers = numWorkers
        o.outDim = outDim
        o.useMeta = useMeta
        o.nMetaDim = try parseInts(nMetaDim, flag: "--n-meta-dim")
        o.useAMP = useAmp
        o.debug = debug
        o.modelDir = modelDir
        o.logDir = logDir
        o.device = try Device(parsing: device)
        o.seed = seed
        o.folds = try parseInts(folds, flag: "--fold")
        return o
    }
}

func parseInts(_ text: String, flag: String) throws -> [Int] {
    let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    let values = parts.compactMap { Int($0) }
    guard !parts.isEmpty, values.count == parts.count else {
        throw ValidationError("\(flag) takes integers separated by commas, got '\(text)'")
    }
    return values
}

/// Runs a command body; a failure prints one line naming the command and exits non-zero.
func reportingErrors(_ command: String, _ body: () throws -> Void) throws {
    do { try body() } catch let e as ExitCode { throw e } catch let e as ValidationError { throw e } catch {
        FileHandle.standardError.write(Data("\(command): \(error)\n".utf8))
        throw ExitCode(1)
    }
}

/// Prints a line at once (stdout is block-buffered when piped to a log).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
