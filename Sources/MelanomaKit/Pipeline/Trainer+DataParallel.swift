import NN
import Torch

/// What a fold's training does differently as one worker of a data-parallel job: start from rank 0's
/// weights, reduce gradients during backward, and validate on a shard of the rows then gather them.
extension Trainer {
    /// Every worker takes rank 0's parameters, buffers and optimizer state (a resumed or pretrained start
    /// is read by rank 0 alone), then arms the gradient all-reduce over the parameters the optimizer steps.
    func joinJob(optimizer: Adam) throws {
        guard let parallel else { return }
        try parallel.broadcastFromLeader(model.stateDict().map(\.tensor) + optimizer.stateDict().map(\.tensor))
        reducer = try GradientReducer(group: parallel.group, parameters: model.trainableParameters())
    }

    /// One pass over the validation rows without TTA. In a job each worker runs its shard with rank 0's
    /// BatchNorm statistics (those rank 0 saves), and the rows are gathered, so every metric is the one a
    /// single process would compute from rank 0's weights.
    func validate() throws -> InferenceOutput {
        let c = config
        if let parallel { try parallel.broadcastFromLeader(model.namedBuffers().map(\.tensor)) }
        let mine = try Inference.run(models: [model], source: validSource, nTest: 1, device: c.device, useAMP: c.useAMP,
                                     ampDType: c.ampDType, channelsLast: c.channelsLast, allowEmpty: parallel != nil)
        guard let parallel else { return mine }
        guard let layout = validSource.layout else { throw RunError("a data-parallel job needs a sharded validation loader") }
        return try parallel.gather(mine, rows: layout.rows, batchSize: layout.batchSize)
    }
}
