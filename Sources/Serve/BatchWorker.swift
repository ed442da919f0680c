import Foundation
import MelanomaKit

/// What one request gets back from the worker.
public struct JobResult: Sendable {
    public var prediction: ImagePrediction
    /// The Grad-CAM overlay (image | heat map) as PNG, when asked for.
    public var overlayPNG: Data?
    /// The largest Grad-CAM value (0: nothing in the image raised the melanoma logit).
    public var camPeak: Float?
    public var batchSize: Int
}

/// A request waiting for the worker; finished exactly once (by the worker, or by its timeout).
final class Job: @unchecked Sendable {
    let image: PreparedImage
    let wantsCAM: Bool
    private let lock = NSLock()
    private var continuation: CheckedContinuation<JobResult, Error>?
    private var timeout: Task<Void, Never>?

    init(image: PreparedImage, wantsCAM: Bool, continuation: CheckedContinuation<JobResult, Error>) {
        self.image = image
        self.wantsCAM = wantsCAM
        self.continuation = continuation
    }

    var isFinished: Bool { lock.withLock { continuation == nil } }

    func finish(_ result: Result<JobResult, Error>) {
        let (c, t): (CheckedContinuation<JobResult, Error>?, Task<Void, Never>?) = lock.withLock {
            defer { continuation = nil; timeout = nil }
            return (continuation, timeout)
        }
        t?.cancel()
        c?.resume(with: result)
    }

    /// Finishes the job with a timeout error after `duration` unless it finished before.
    func arm(after duration: Duration) {
        let task = Task { [weak self] in
            try? await Task.sleep(for: duration)
            guard !Task.isCancelled else { return }
            self?.finish(.failure(ServeError(status: 503, field: nil, "the request timed out waiting for the model")))
        }
        let finished: Bool = lock.withLock {
            if continuation == nil { return true }
            timeout = task
            return false
        }
        if finished { task.cancel() }
    }
}

/// The one inference thread: requests arriving within `window` of the first waiting one are scored together,
/// up to `maxBatch`, through `ImagePredictor` (the TTA loop of `predict`).
public final class BatchWorker: @unchecked Sendable {
    public let predictor: ImagePredictor
    public let maxBatch: Int
    public let window: TimeInterval
    let metrics: ServeMetrics
    private let cond = NSCondition()
    private var queue: [Job] = []
    private var stopping = false
    private var thread: Thread?

    public init(predictor: ImagePredictor, maxBatch: Int, window: TimeInterval, metrics: ServeMetrics) {
        self.predictor = predictor
        self.maxBatch = max(1, maxBatch)
        self.window = window
        self.metrics = metrics
    }

    public func start() {
        let t = Thread { [self] in loop() }
        t.name = "melanoma-inference"
        t.stackSize = 16 << 20
        thread = t
        t.start()
    }

    /// Lets the queued requests finish, then ends the thread.
    public func stop() {
        cond.lock()
        stopping = true
        cond.broadcast()
        cond.unlock()
    }

    /// Scores one prepared image; throws `ServeError.timeout` after `timeout`.
    public func submit(_ image: PreparedImage, gradCAM: Bool, timeout: Duration) async throws -> JobResult {
        try await withCheckedThrowingContinuation { c in
            let job = Job(image: image, wantsCAM: gradCAM, continuation: c)
            cond.lock()
            if stopping {
                cond.unlock()
                job.finish(.failure(ServeError(status: 503, field: nil, "the server is shutting down")))
                return
            }
            queue.append(job)
            cond.signal()
            cond.unlock()
            job.arm(after: timeout)
        }
    }

    private func loop() {
        while true {
            cond.lock()
            while queue.isEmpty && !stopping { cond.wait() }
            if queue.isEmpty && stopping {
                cond.unlock()
                return
            }
            let deadline = Date().addingTimeInterval(window)
            while queue.count < maxBatch && !stopping {
                if !cond.wait(until: deadline) { break }
            }
            let batch = Array(queue.prefix(maxBatch))
            queue.removeFirst(batch.count)
            cond.unlock()
            run(batch.filter { !$0.isFinished })
        }
    }

    private func run(_ jobs: [Job]) {
        guard !jobs.isEmpty else { return }
        metrics.observeBatch(jobs.count)
        do {
            let predictions = try predictor.predict(jobs.map(\.image))
            var overlays = [Data?](repeating: nil, count: jobs.count)
            var peaks = [Float?](repeating: nil, count: jobs.count)
            let camIdx = jobs.indices.filter { jobs[$0].wantsCAM }
            if !camIdx.isEmpty {
                let size = predictor.overlaySize
                let cams = try predictor.gradCAM(camIdx.map { jobs[$0].image }, size: size)
                for (k, i) in camIdx.enumerated() {
                    overlays[i] = try ImagePredictor.overlayPNG(jobs[i].image, cam: cams[k], size: size)
                    peaks[i] = cams[k].max() ?? 0
                }
            }
            for (i, job) in jobs.enumerated() {
                job.finish(.success(JobResult(prediction: predictions[i], overlayPNG: overlays[i], camPeak: peaks[i],
                                               batchSize: jobs.count)))
            }
        } catch {
            for job in jobs { job.finish(.failure(ServeError(status: 500, field: nil, "inference failed: \(error)"))) }
        }
    }
}
