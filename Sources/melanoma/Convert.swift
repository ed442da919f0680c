import ArgumentParser
import Foundation
import Models

/// `melanoma convert IN OUT`: checkpoints between torch.save (.pth) and .safetensors.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a checkpoint between .pth (torch.save) and .safetensors.",
        discussion: """
        The format of each file follows its extension (.safetensors, anything else is torch.save).
        Keys and tensors are kept as they are, so the original's checkpoints (with or without the
        nn.DataParallel `module.` prefix) and ImageNet state dicts convert both ways.
        """
    )

    @Argument(help: "Checkpoint to read (.pth/.pt/.bin or .safetensors).")
    var input: String

    @Argument(help: "File to write (.safetensors or .pth).")
    var output: String

    @Flag(name: .flag("--strip-module-prefix"), help: "Drop a leading `module.` from every key (nn.DataParallel checkpoints).")
    var stripModulePrefix = false

    func run() throws { try reportingErrors("convert") { try body() } }

    func body() throws {
        let n = try Checkpoint.convert(from: URL(fileURLWithPath: input), to: URL(fileURLWithPath: output),
                                       stripModulePrefix: stripModulePrefix)
        print("wrote \(n) tensors to \(output)")
    }
}
