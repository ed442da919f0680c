// swift-tools-version:6.0
// Melanoma: SIIM-ISIC melanoma classifiers in Swift on libtorch 2.11.
// Layers (a lower one never imports a higher one):
//   CTorch / CImage (C shims) -> Torch -> NN -> Models -> MelanomaKit -> Serve (HTTP) -> melanoma (CLI)
//                     CImage  -> Imaging --------------^
// Basics (seeded random numbers, atomic files, the malloc policy) is plain Swift under every layer.
import PackageDescription
import Foundation

// libtorch comes from the PyPI torch==2.11.0 wheel that scripts/setup.sh installs into .venv;
// .libtorch is a link to its package folder.
let root = Context.packageDirectory
let torch = "\(root)/.libtorch"

let package = Package(
    name: "Melanoma",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "melanoma", targets: ["melanoma"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.0"),
    ],
    targets: [
        .target(
            name: "CTorch",
            // The NCCL backend needs CUDA headers: scripts/build-nccl-shim.sh builds it apart.
            exclude: ["nccl"],
            cxxSettings: [
                .unsafeFlags([
                    "-I\(torch)/include", "-I\(torch)/include/torch/csrc/api/include",
                    "-std=c++17", "-D_GLIBCXX_USE_CXX11_ABI=1", "-O2", "-w",
                    // c10d's Gloo process group; the gloo headers come from Debian's libgloo-dev.
                    "-DUSE_C10D_GLOO",
                ]),
            ],
            linkerSettings: [
                .unsafeFlags([
                    "-L\(torch)/lib", "-Xlinker", "-rpath", "-Xlinker", "\(torch)/lib",
                    "-Xlinker", "--no-as-needed",
                ]),
                // Not libtorch.so: in the CUDA wheel it is an empty library that NEEDs libtorch_cuda.so and with it
                // cuBLAS, cuDNN, NCCL... (230 MiB of resident memory in a CPU run). ct_cuda_load dlopens
                // libtorch_cuda.so when a run asks for CUDA.
                .linkedLibrary("torch_cpu"), .linkedLibrary("c10"),
                .linkedLibrary("dl"),
            ]
        ),
        .target(
            name: "CImage",
            cxxSettings: [
                .unsafeFlags(["-I/usr/include/opencv4", "-std=c++17", "-O2"]),
            ],
            linkerSettings: [
                .linkedLibrary("opencv_imgproc"), .linkedLibrary("opencv_core"),
                .linkedLibrary("turbojpeg"), .linkedLibrary("png"),
            ]
        ),
        .target(name: "Basics"),
        .target(name: "Torch", dependencies: ["CTorch", "Basics"]),
        .target(name: "NN", dependencies: ["Torch", "Basics"]),
        .target(name: "Imaging", dependencies: ["CImage", "Basics"]),
        .target(name: "Models", dependencies: ["NN"]),
        .target(
            name: "MelanomaKit",
            dependencies: [
                "Models", "Imaging", "Basics",
                .product(name: "SwiftCSV", package: "SwiftCSV"),
            ]
        ),
        // The HTTP service (Hummingbird 2): only this target and the CLI link the web stack.
        .target(
            name: "Serve",
            dependencies: [
                "MelanomaKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ]
        ),
        .executableTarget(
            name: "melanoma",
            dependencies: [
                "MelanomaKit", "Models", "Basics", "Serve",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TorchTests", dependencies: ["Torch", "Basics", "TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "TestSupport"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "TestSupport"]),
        .testTarget(name: "MelanomaKitTests", dependencies: ["MelanomaKit", "Basics", "Torch", "TestSupport"]),
        .testTarget(name: "ServeTests", dependencies: [
            "Serve", "MelanomaKit", "Imaging", "Torch", "TestSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        // A data-parallel worker for CLITests (a model without BatchNorm or dropout through the real Trainer).
        .executableTarget(name: "distributed-probe", dependencies: ["MelanomaKit", "Basics", "NN", "Torch"],
                          path: "Tests/DistributedProbe"),
        // Runs the built `melanoma` binary (swift build --build-tests builds it too).
        .testTarget(name: "CLITests", dependencies: ["Basics", "TestSupport"]),
    ],
    cxxLanguageStandard: .cxx17
)
