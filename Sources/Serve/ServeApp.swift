import Foundation
import Hummingbird
import MelanomaKit

/// The server's settings (`melanoma serve` flags).
public struct ServeConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var maxBatch = 8
    /// How long the worker waits for more requests after the first one (seconds).
    public var batchWindow = 0.005
    public var maxUploadBytes = 20 << 20
    public var maxPixels = 50_000_000
    public var requestTimeout: Duration = .seconds(60)
    /// Bearer token required on /v1/ when set.
    public var token: String?

    public init() {}
}

/// The HTTP service around one `ImagePredictor`: page, predict, models, health and metrics.
public final class PredictionService: Sendable {
    public let predictor: ImagePredictor
    public let config: ServeConfig
    public let worker: BatchWorker
    public let metrics = ServeMetrics()

    public init(predictor: ImagePredictor, config: ServeConfig) {
        predictor.maxPixels = config.maxPixels
        self.predictor = predictor
        self.config = config
        worker = BatchWorker(predictor: predictor, maxBatch: config.maxBatch, window: config.batchWindow, metrics: metrics)
        worker.start()
    }

    /// The routes, for `Application` or for in-process tests.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: Page.html)))
        }
        router.get("/healthz") { [self] _, _ in json(200, ["status": "ok", "models": "\(predictor.models.count)"]) }
        router.get("/metrics") { [self] _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.text())))
        }
        router.get("/v1/models") { [self] request, _ in
            await timed("/v1/models") {
                try authorize(request)
                return try encoded(200, ModelsAnswer(service: self))
            }
        }
        router.post("/v1/predict") { [self] request, _ in
            await timed("/v1/predict") { try await predict(request) }
        }
        return router
    }

    /// Serves on the configured address until SIGTERM or SIGINT (requests in flight finish), then stops the
    /// worker. `onRunning` gets the bound port.
    public func run(onRunning: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        defer { worker.stop() }
        try await application(onRunning: onRunning).runService()
    }

    /// The application on the configured address (what `run` serves; live tests use it with port 0).
    public func application(onRunning: @escaping @Sendable (Int) -> Void = { _ in }) -> some ApplicationProtocol {
        Application(router: router(),
                    configuration: .init(address: .hostname(config.host, port: config.port), serverName: "melanoma"),
                    onServerRunning: { channel in onRunning(channel.localAddress?.port ?? -1) })
    }

    func predict(_ request: Request) async throws -> Response {
        try authorize(request)
        let boundary = try PredictForm.boundary(contentType: request.headers[.contentType])
        let limit = config.maxUploadBytes + 64 * 1024
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw ServeError(status: 413, field: "image", "the upload is \(length) bytes; the limit is \(config.maxUploadBytes)")
        }
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: limit) } catch {
            throw ServeError(status: 413, field: "image", "the upload is larger than \(config.maxUploadBytes) bytes")
        }
        let form = try PredictForm.parse(body: body, boundary: boundary)
        guard form.imageData.count <= config.maxUploadBytes else {
            throw ServeError(status: 413, field: "image", "the image is larger than \(config.maxUploadBytes) bytes")
        }
        let prepared: PreparedImage
        do {
            prepared = try predictor.prepare(ImageInput(name: form.filename, data: form.imageData, info: form.info))
        } catch let e as PatientInfo.FieldError {
            throw ServeError(status: 400, field: e.field, e.message)
        } catch let e as PixelLimitError {
            throw ServeError(status: 413, field: "image", e.description)
        } catch {
            throw ServeError(status: 400, field: "image", "\(error)")
        }
        let result = try await worker.submit(prepared, gradCAM: form.gradCAM, timeout: config.requestTimeout)
        return try encoded(200, PredictAnswer(result))
    }

    func authorize(_ request: Request) throws {
        guard let token = config.token else { return }
        guard request.headers[.authorization] == "Bearer \(token)" else {
            throw ServeError(status: 401, field: "authorization", "a bearer token is required")
        }
    }

    /// Runs a handler, turning a `ServeError` (or anything else) into a JSON error, and counts it.
    func timed(_ route: String, _ body: () async throws -> Response) async -> Response {
        let start = ContinuousClock.now
        var response: Response
        do { response = try await body() } catch {
            let e = error as? ServeError ?? ServeError(status: 500, field: nil, "\(error)")
            metrics.observeError(e)
            var detail: [String: String] = ["message": e.message]
            if let f = e.field { detail["field"] = f }
            response = (try? encoded(e.status, ["error": detail]))
                ?? Response(status: .internalServerError)
            if e.status == 401 { response.headers[.wwwAuthenticate] = "Bearer" }
        }
        let d = ContinuousClock.now - start
        let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        metrics.observeRequest(route: route, status: Int(response.status.code), seconds: seconds)
        return response
    }

    func json(_ status: Int, _ value: [String: String]) -> Response {
        (try? encoded(status, value)) ?? Response(status: .internalServerError)
    }

    func encoded<T: Encodable>(_ status: Int, _ value: T) throws -> Response {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return Response(status: .init(code: status), headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: try enc.encode(value))))
    }
}

/// `POST /v1/predict`'s answer.
struct PredictAnswer: Encodable {
    var image: String
    var probability: Double
    var percentile: Double?
    var models: [ModelScore]
    var metadataNotes: [String]
    var nTest: Int
    var batchSize: Int
    /// data:image/png;base64,... of image | Grad-CAM overlay, when `gradcam` was asked for.
    var gradcam: String?
    var gradcamMax: Float?
    var notice = "Research tool, not a diagnosis."

    init(_ r: JobResult) {
        let p = r.prediction
        image = p.image
        probability = p.probability
        percentile = p.percentile
        models = p.models
        metadataNotes = p.metadataNotes
        nTest = p.nTest
        batchSize = r.batchSize
        gradcamMax = r.camPeak
        gradcam = r.overlayPNG.map { "data:image/png;base64," + $0.base64EncodedString() }
    }
}

/// `GET /v1/models`.
struct ModelsAnswer: Encodable {
    struct Model: Encodable {
        var kernelType: String, enetType: String, imageSize: Int, dataFolder: Int, folds: [Int]
        var classes: [String], melIdx: Int, metaFeatures: [String], sites: [String], oofScores: Int?
    }

    var models: [Model]
    var nTest: Int
    var maxBatch: Int
    var maxUploadBytes: Int

    init(service s: PredictionService) {
        models = s.predictor.models.map { m in
            let d = m.description
            return Model(kernelType: d.kernelType, enetType: d.enetType, imageSize: d.imageSize, dataFolder: d.dataFolder,
                         folds: d.folds, classes: d.classes, melIdx: d.melIdx, metaFeatures: d.metaFeatures,
                         sites: d.metaFeatures.filter { $0.hasPrefix("site_") && $0 != "site_nan" }.map { String($0.dropFirst(5)) },
                         oofScores: d.oofScores?.count)
        }
        nTest = s.predictor.nTest
        maxBatch = s.config.maxBatch
        maxUploadBytes = s.config.maxUploadBytes
    }
}
