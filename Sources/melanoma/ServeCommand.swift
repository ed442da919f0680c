import ArgumentParser
import Basics
import Foundation
import MelanomaKit
import Serve

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "HTTP service: an upload page, POST /v1/predict, /v1/models, /healthz, /metrics.",
        discussion: """
        Scores uploads with the --kernel-type models as predict-image does (TTA and folds averaged); concurrent \
        requests are batched on one inference thread (up to --max-batch within --batch-window-ms). Binds \
        127.0.0.1 unless --host; --token requires `Authorization: Bearer TOKEN` on /v1/. SIGTERM or SIGINT \
        stops it after the requests in flight. A research tool, not a diagnosis.
        """
    )

    @OptionGroup var model: ModelFlags
    @Option(name: .flag("--host"), help: "Address to bind.")
    var host = ServeConfig().host
    @Option(name: .flag("--port"), help: "Port (0: any free port, printed).")
    var port = ServeConfig().port
    @Option(name: .flag("--max-batch"), help: "Most requests scored together (1: no batching).")
    var maxBatch = ServeConfig().maxBatch
    @Option(name: .flag("--batch-window-ms"), help: "How long the first request of a batch waits for others.")
    var batchWindowMs = ServeConfig().batchWindow * 1000
    @Option(name: .flag("--max-upload-mb"), help: "Largest upload accepted, in MiB.")
    var maxUploadMB = Double(ServeConfig().maxUploadBytes >> 20)
    @Option(name: .flag("--max-pixels"), help: "Largest decoded image, in pixels.")
    var maxPixels = ServeConfig().maxPixels
    @Option(name: .flag("--timeout"), help: "Seconds a request may wait for the inference worker (then 503).")
    var timeout = 60.0
    @Option(name: .flag("--token"), help: "Require this bearer token on /v1/.")
    var token: String?
    @Option(name: .flag("--malloc"),
            help: "Memory policy: keep-all (training's: glibc keeps freed memory, large tensors come from a cache of mappings), keep-freed (raised glibc thresholds), default.")
    var malloc = "keep-all"

    func run() throws {
        try reportingErrors("serve") {
            switch malloc {
            case "keep-freed": MallocRegime.keepFreedBuffers()
            case "keep-all": try ModelMemory.configure()
            case "default": break
            default: throw ValidationError("--malloc must be keep-freed, keep-all or default, got '\(malloc)'")
            }
            guard maxBatch >= 1 else { throw ValidationError("--max-batch must be at least 1") }
            guard maxUploadMB > 0, batchWindowMs >= 0, timeout > 0 else {
                throw ValidationError("--max-upload-mb, --batch-window-ms and --timeout must be positive")
            }
            var c = ServeConfig()
            c.host = host
            c.port = port
            c.maxBatch = maxBatch
            c.batchWindow = batchWindowMs / 1000
            c.maxUploadBytes = Int(maxUploadMB * 1024 * 1024)
            c.maxPixels = maxPixels
            c.requestTimeout = .milliseconds(Int(timeout * 1000))
            c.token = token
            let service = PredictionService(predictor: try model.load(), config: c)
            let config = c
            let done = DispatchSemaphore(value: 0)
            let failure = LockedBox<Error?>(nil)
            Task {
                do {
                    try await service.run { port in
                        say("serving   http://\(config.host):\(port)/ (research tool, not a diagnosis)")
                    }
                } catch {
                    failure.set(error)
                }
                done.signal()
            }
            done.wait()
            service.worker.stop()
            if let e = failure.get() { throw e }
            say("stopped")
        }
    }
}

/// A value shared between the server task and the command's thread.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ v: T) { value = v }
    func set(_ v: T) { lock.withLock { value = v } }
    func get() -> T { lock.withLock { value } }
}
