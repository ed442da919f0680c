/// A setting of a command, named as a field. The library speaks in settings; the command line maps each one
/// to its flag (`--batch-size`), so an error about a setting reads in the user's own words there.
public enum Setting: String, CaseIterable, Sendable {
    case kernelType, dataDir, dataFolder, imageSize, enetType, batchSize, numWorkers, outDim, useMeta, nMetaDim
    case useAMP, debug, modelDir, logDir, oofDir, subDir, folds, device, seed, nEpochs, initLR, pretrained
    case resume, nTest, eval, weights
    /// The data-parallel job: its size, its meeting point and how long its workers wait.
    case nprocPerNode, nnodes, nodeRank, masterAddr, masterPort, distTimeout
    case synthSize, synthTrain, synthTest, synthExternal, malignantRate
}

/// What MelanomaKit refuses that is not a located problem in a data file (that is `DataError`): a setting out
/// of range, a saved run state that does not fit the run, a metric that its data cannot define, a missing
/// checkpoint.
public struct RunError: Error, CustomStringConvertible, Sendable {
    /// The setting at fault, when one is.
    public let setting: Setting?
    public let message: String

    public init(_ message: String) {
        setting = nil
        self.message = message
    }

    public init(_ setting: Setting, _ message: String) {
        self.setting = setting
        self.message = message
    }

    public var description: String { setting.map { "\($0.rawValue): \(message)" } ?? message }
}
