"""vnetref_fuzz_test: one fuzz target source, three Bazel targets.

For a target `name` whose source defines LLVMFuzzerTestOneInput:
  name           cc_test replaying every file of `corpus` once (default build: no clang needed)
  name_libfuzzer the libFuzzer binary under --config=fuzz (a corpus replayer otherwise)
  name_afl       the AFL++ binary under --config=afl (a corpus replayer otherwise)
  name_corpus    filegroup of the seed corpus; name_dict exported when `dict` is given

Modelled on rules_fuzzing's cc_fuzz_test, written for Bazel 4.2.3 offline.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library", "cc_test")

def vnetref_fuzz_test(name, srcs, deps = [], corpus = None, dict = None, size = "small", **kwargs):
    corpus_dir = corpus if corpus else name + "_corpus"
    cc_library(
        name = name + "_target",
        srcs = srcs,
        deps = deps,
        testonly = True,
        alwayslink = True,
    )
    native.filegroup(
        name = name + "_corpus",
        srcs = native.glob([corpus_dir + "/**"]),
        testonly = True,
    )
    if dict:
        native.filegroup(name = name + "_dict", srcs = [dict], testonly = True)
    cc_test(
        name = name,
        size = size,
        deps = [name + "_target", "//fuzz:replay_main"],
        data = [name + "_corpus"],
        args = [native.package_name() + "/" + corpus_dir],
        **kwargs
    )
    cc_binary(
        name = name + "_libfuzzer",
        testonly = True,
        deps = [name + "_target"] + select({
            "//fuzz:engine_libfuzzer": [],
            "//conditions:default": ["//fuzz:replay_main"],
        }),
        linkopts = select({
            "//fuzz:engine_libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        data = [name + "_corpus"] + ([dict] if dict else []),
    )
    cc_binary(
        name = name + "_afl",
        testonly = True,
        deps = [name + "_target"] + select({
            "//fuzz:engine_afl": [],
            "//conditions:default": ["//fuzz:replay_main"],
        }),
        linkopts = select({
            "//fuzz:engine_afl": ["/usr/lib/afl/libAFLDriver.a"],
            "//conditions:default": [],
        }),
        data = [name + "_corpus"] + ([dict] if dict else []),
    )
