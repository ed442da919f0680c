import ArgumentParser
import Foundation
import Models
import NN
import Torch

/// `melanoma bench models`: images/s of the melanoma model (forward, or a full training step) on
/// random data; `bench/models.sh` runs it against `bench/models_reference.py` (python torch with
/// geffnet) and prints the ratio.
struct BenchModels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Measure images/s of a model: inference forward or forward+backward+Adam.",
        discussion: "Prints one JSON line per (arch, mode) with the median over the timed iterations."
    )

    @Option(name: .flag("--arch"), help: "Comma-separated --enet-type names.")
    var arch = "efficientnet_b0,efficientnet_b3"

    @Option(name: .flag("--mode"), help: "Comma-separated modes: forward (eval, no grad) and/or train (forward, backward, Adam).")
    var mode = "forward,train"

    @Option(name: .flag("--batch")) var batch = 8
    @Option(name: .flag("--size")) var size = 256
    @Option(name: .flag("--threads"), parsing: .unconditional, help: "libtorch intra-op threads.")
    var threads = 2
    @Option(name: .flag("--warmup")) var warmup = 2
    @Option(name: .flag("--iters")) var iters = 5
    @Option(name: .flag("--out-dim"), parsing: .unconditional, help: "Out dim of the head.")
    var outDim = 9
    @Flag(name: .flag("--channels-last"), help: "Input and weights in channels-last memory format.")
    var channelsLast = false
    @Option(name: .flag("--seed")) var seed: UInt64 = 0
    @Option(name: .flag("--device"), help: "cpu, cuda or cuda:N (synchronised before each time is read).")
    var device = "cpu"
    @Flag(name: .flag("--compare-cpu"),
          help: "Also run the eval forward on the CPU with the same weights and input and print the largest logit difference.")
    var compareCPU = false

    func run() throws { try reportingErrors("bench models") { try body() } }

    func body() throws {
        LibTorch.numThreads = threads
        LibTorch.manualSeed(seed)
        let dev = try Device(parsing: device)
        if dev.isCUDA, let why = LibTorch.loadCUDA() { throw ValidationError("--device \(device): \(why)") }
        for name in arch.split(separator: ",").map(String.init) {
            for m in mode.split(separator: ",").map(String.init) {
                guard m == "forward" || m == "train" else {
                    throw ValidationError("unknown mode '\(m)': expected forward or train")
                }
                let model = try MelanomaNet(ModelSpec(enetType: name, outDim: outDim))
                let cpuInput = try Tensor.randn([batch, 3, size, size])
                if compareCPU && m == "forward" && dev.isCUDA { try printCPUDifference(model, cpuInput, arch: name) }
                try model.to(device: dev)
                if channelsLast { try model.toChannelsLast() }
                let x = try cpuInput.to(device: dev).contiguous(channelsLast: channelsLast)
                let target = try Tensor.randint(0, outDim, shape: [batch]).to(device: dev)
                let step: () throws -> Void
                if m == "forward" {
                    model.eval()
                    step = { _ = try withNoGrad { try model(x, meta: nil) } }
                } else {
                    model.train()
                    let opt = try Adam(model.trainableParameters(), lr: 3e-5)
                    step = {
                        opt.zeroGrad()
                        let loss = try model(x, meta: nil).crossEntropy(target: target)
                        try loss.backward()
                        try opt.step()
                    }
                }
                var times: [Double] = []
                for i in 0 ..< (warmup + iters) {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    try step()
                    if dev.isCUDA { try LibTorch.synchronize(dev) }
                    let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                    if i >= warmup { times.append(dt) }
                }
                let median = times.sorted()[times.count / 2]
                let line: [String: Any] = [
                    "impl": "swift", "arch": name, "mode": m, "batch": batch, "size": size, "threads": threads, "device": device,
                    "channels_last": channelsLast, "median_s": median, "images_per_s": Double(batch) / median,
                    "times_s": times,
                ]
                let json = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
                print(String(decoding: json, as: UTF8.self))
            }
        }
    }

    /// Eval logits of the same weights and input on the CPU and on --device, largest absolute difference.
    private func printCPUDifference(_ model: MelanomaNet, _ x: Tensor, arch: String) throws {
        model.eval()
        let cpu = try withNoGrad { try model(x, meta: nil) }.toArray(Double.self)
        try model.to(device: try Device(parsing: device))
        let dev = try withNoGrad { try model(try x.to(device: try Device(parsing: device)), meta: nil) }
            .to(device: .cpu).toArray(Double.self)
        try model.to(device: .cpu)
        let worst = zip(cpu, dev).map { abs($0 - $1) }.max() ?? .nan
        print("{\"arch\": \"\(arch)\", \"check\": \"cuda vs cpu logits\", \"max_abs_diff\": \(worst)}")
    }
}
