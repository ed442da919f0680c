import ArgumentParser
import Foundation
import Imaging
import Torch

/// Reports what the engine found on this machine; exits non-zero with one line when something is missing.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check libtorch, CPU threads, CUDA, OpenCV and libjpeg-turbo.",
        discussion: "Exits non-zero with a one-line reason when something the pipeline needs is missing."
    )

    @Flag(name: .flag("--require-cuda"), help: "Fail unless a CUDA GPU is usable.")
    var requireCuda = false

    func run() throws {
        var problems: [String] = []
        let version = LibTorch.version
        print("libtorch      \(version)")
        if version != "2.11.0" { problems.append("libtorch is \(version), expected 2.11.0") }
        print("cpu threads   \(LibTorch.numThreads) (of \(ProcessInfo.processInfo.activeProcessorCount) cores), "
            + "OpenMP wait policy \(ThreadPolicy.description)")
        do {
            let a = try Tensor([1, 2, 3, 4] as [Float], shape: [2, 2])
            let s = try a.matmul(a).sum().item()
            if s != 54 { problems.append("a 2x2 matmul gave \(s), expected 54") }
        } catch { problems.append("libtorch cannot compute: \(error)") }
        if let why = LibTorch.loadCUDA() {
            print("cuda          unavailable (\(why))")
        } else if LibTorch.cudaIsAvailable {
            let n = LibTorch.cudaDeviceCount
            let names = (0 ..< n).map { LibTorch.cudaDeviceName($0) ?? "unknown GPU" }
            print("cuda          \(n) device(s): \(names.joined(separator: ", "))")
        } else {
            print("cuda          no usable GPU (libtorch_cuda loaded, no device or driver)")
        }
        if requireCuda && !LibTorch.cudaIsAvailable { problems.append("--require-cuda: no usable CUDA GPU") }
        print("opencv        \(ImageLibraries.openCV)")
        print("libjpeg-turbo \(ImageLibraries.libjpegTurbo)")
        if let first = problems.first {
            FileHandle.standardError.write(Data("doctor: \(first)\n".utf8))
            throw ExitCode(1)
        }
        print("ok")
    }
}
