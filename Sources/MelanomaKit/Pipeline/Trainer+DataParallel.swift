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
        let params = model.trainableParameters()
        reducer = try GradientReducer(group: parallel.group, parameters: params)
        if config.fold == firstFold { try measureAllReduce(elements: params.reduce(0) { $0 + $1.count }, parallel) }
    }

    /// What one step's gradient all-reduce costs when nothing hides it (the reducer overlaps most of it with
    /// backward): said once per run, for BENCHMARKS.md and for judging a job's network.
    func measureAllReduce(elements: Int, _ parallel: DataParallel) throws {
        let flat = try Tensor.zeros([elements], device: config.device)
        var times: [Double] = []
        for _ in 0 ..< 4 {
            let t0 = ProgressBar.now()
            try parallel.group.allReduceSum([flat])
            if config.device.isCUDA { try LibTorch.synchronize(config.device) }
            times.append(ProgressBar.now() - t0)
        }
        let ms = times.dropFirst().sorted()[1] * 1000  // the median of three, after one to warm up
        console(String(format: "job       all-reduce of the %.1f MB of gradients: %.1f ms per step before overlap",
                       Double(elements * 4) / 1e6, ms))
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
