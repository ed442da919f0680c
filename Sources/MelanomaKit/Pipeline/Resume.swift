import Basics
import Foundation
import Torch

/// What resuming needs to continue a fold after a kill: the last completed epoch, the best scores
/// so far, the seed the per-epoch generators derive from, and which checkpoint holds the model and
/// optimizer at that point. The LR needs no state: it is a function of the epoch (`LRSchedule`).
public struct TrainState: Codable, Sendable, Equatable {
    public var formatVersion = 1
    public var kernelType: String
    public var fold: Int
    public var nEpochs: Int
    /// Last epoch whose end-of-epoch work (log line, best checkpoints) is complete; 0 = none.
    public var epochDone: Int
    public var aucMax: Double
    public var auc20Max: Double
    public var seed: UInt64
    /// The LR the next epoch will use (informational; recomputed from the schedule).
    public var nextLR: Double
    /// File name, in the model folder, of the model + optimizer state after `epochDone`.
    public var checkpoint: String?
    /// True once the final checkpoint of the fold is written.
    public var finished: Bool
    /// Settings that must not change across a resume (image size, batch size, model...), as text.
    public var settings: [String: String]
    /// fp16 loss scaling at the end of `epochDone` (absent without it, and in files written before it).
    public var ampScale: Float?
    public var ampGrowthTracker: Int?

    public init(kernelType: String, fold: Int, nEpochs: Int, seed: UInt64, initLR: Double,
                settings: [String: String] = [:]) {
        self.kernelType = kernelType
        self.fold = fold
        self.nEpochs = nEpochs
        epochDone = 0
        aucMax = 0
        auc20Max = 0
        self.seed = seed
        nextLR = LRSchedule.lr(epoch: 1, initLR: initLR, nEpochs: nEpochs)
        checkpoint = nil
        finished = false
        self.settings = settings
    }

    /// The seed of torch's generator and of the sampler for one epoch of one fold. Reseeding every epoch from
    /// this, rather than carrying the generator's state, is what makes a resumed run draw exactly what the
    /// uninterrupted run would have.
    public static func epochSeed(seed: UInt64, fold: Int, epoch: Int) -> UInt64 {
        SplitMix64.derive(seed, fold, epoch)
    }

    /// Throws naming every setting that differs from the run that wrote this state.
    public func checkCompatible(with settings: [String: String], stateFile: String) throws {
        let keys = Set(settings.keys).union(self.settings.keys).sorted()
        let diffs = keys.filter { settings[$0] != self.settings[$0] }.map { key in
            // "data" is the training rows' fingerprint (Dataset.fingerprint), not a flag.
            key == "data" ? "the training data (rows, classes, folds or metadata of train.csv / folds.csv) changed"
                : "\(key): was \(self.settings[key] ?? "unset"), now \(settings[key] ?? "unset")"
        }
        if !diffs.isEmpty {
            throw RunError(.resume, "\(stateFile) was written with other settings (\(diffs.joined(separator: "; "))); "
                + "rerun with the same settings, or start over without resuming")
        }
    }

    public func save(to url: URL) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try enc.encode(self)
        try AtomicFile.write(data, to: url)
    }

    public static func load(from url: URL) throws -> TrainState {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw RunError("\(url.path): cannot read the resume state: \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode(TrainState.self, from: data) } catch {
            throw RunError("\(url.path): not a resume state written by melanoma train (\(error)); "
                + "delete it to start the fold over")
        }
    }
}

/// Reads and writes one fold's resume point in the model folder. The order of writes (checkpoint,
/// then state, then removal of the previous checkpoint), each atomic, means a kill at any moment
/// leaves a state file that points at a complete checkpoint.
public struct ResumeStore: Sendable {
    public let modelDir: URL
    public let names: CheckpointNames
    public let fold: Int

    public init(modelDir: URL, names: CheckpointNames, fold: Int) {
        self.modelDir = modelDir
        self.names = names
        self.fold = fold
    }

    public var stateURL: URL { modelDir.appendingPathComponent(names.resumeState(fold: fold)) }

    /// The saved state and, when an epoch is done and the fold unfinished, the model and optimizer
    /// tensors (keys without their `model.` / `optimizer.` prefix). nil when there is nothing to resume.
    public func load() throws -> (state: TrainState, model: NamedTensors, optimizer: NamedTensors)? {
        guard FileManager.default.fileExists(atPath: stateURL.path) else { return nil }
        let state = try TrainState.load(from: stateURL)
        guard state.fold == fold, state.kernelType == names.kernelType else {
            throw RunError("\(stateURL.path) belongs to \(state.kernelType) fold \(state.fold), not "
                + "\(names.kernelType) fold \(fold)")
        }
        guard let file = state.checkpoint, !state.finished else { return (state, [], []) }
        let url = modelDir.appendingPathComponent(file)
        let all: NamedTensors
        do { all = try loadTensors(url) } catch {
            throw RunError(.resume, "\(stateURL.path) points at \(url.path), which cannot be read: \(error)")
        }
        var model: NamedTensors = [], optimizer: NamedTensors = []
        for (k, t) in all {
            if k.hasPrefix("model.") { model.append((String(k.dropFirst(6)), t)) }
            else if k.hasPrefix("optimizer.") { optimizer.append((String(k.dropFirst(10)), t)) }
            else { throw RunError("\(url.path): unexpected key '\(k)' in a resume checkpoint") }
        }
        return (state, model, optimizer)
    }

    /// Records the end of `state.epochDone` with the model and optimizer at that point.
    public func save(state: TrainState, model: NamedTensors, optimizer: NamedTensors) throws {
        var s = state
        let previous = (try? TrainState.load(from: stateURL))?.checkpoint
        let file = names.resumeCheckpoint(fold: fold, epoch: state.epochDone)
        let tensors = model.map { ("model." + $0.name, $0.tensor) } + optimizer.map { ("optimizer." + $0.name, $0.tensor) }
        try saveTensors(tensors, to: modelDir.appendingPathComponent(file))
        s.checkpoint = file
        try s.save(to: stateURL)
        if let previous, previous != file { try? FileManager.default.removeItem(at: modelDir.appendingPathComponent(previous)) }
    }

    /// Removes the fold's resume state, its resume checkpoints and `outputs` (file names in the model folder):
    /// what a fresh run of the fold replaces.
    public func clear(outputs: [String]) throws {
        let fm = FileManager.default
        let prefix = String(names.resumeCheckpoint(fold: fold, epoch: 0).dropLast("0.\(names.fileExtension)".count))
        let listed = (try? fm.contentsOfDirectory(atPath: modelDir.path)) ?? []
        let resumeFiles = listed.filter { $0.hasPrefix(prefix) && $0.hasSuffix("." + names.fileExtension) }
        for name in [names.resumeState(fold: fold)] + outputs + resumeFiles {
            let url = modelDir.appendingPathComponent(name)
            guard fm.fileExists(atPath: url.path) else { continue }
            do { try fm.removeItem(at: url) } catch {
                throw RunError(.modelDir, "\(url.path): cannot remove an earlier run's file (\(error.localizedDescription))")
            }
        }
    }

    /// Marks the fold finished and deletes its (large) resume checkpoint; the state file stays so a
    /// rerun with --resume skips the fold.
    public func markFinished(state: TrainState) throws {
        var s = state
        let previous = (try? TrainState.load(from: stateURL))?.checkpoint
        s.finished = true
        s.checkpoint = nil
        try s.save(to: stateURL)
        if let previous { try? FileManager.default.removeItem(at: modelDir.appendingPathComponent(previous)) }
    }
}
