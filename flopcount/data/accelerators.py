"""Accelerators: dense peak FLOP/s per precision (no sparsity) and board power.

Vendors often quote 2:4-sparse peaks; every number here is the dense one (half the
sparse figure where only that is printed). Per-GPU values of multi-GPU systems are the
system figure divided by the GPU count. `power_w` is the board/module power (TDP), used
only for energy estimates. Rows marked verified=False carry figures we could not tie to a
line of the vendor's own document (datasheet, product page, whitepaper or vendor docs)
read here; their note ends "Missing: ..." with what would verify them, and `flopcount
accelerators` flags them. A third party's copy of a vendor's table is a cross-check, not a
source: it never makes a row verified.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

PRECISIONS = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "fp4", "int8")

T = 1e12  # tera, for legibility of the table below
P = 1e15  # peta


@dataclass(frozen=True)
class Accelerator:
    id: str
    name: str
    peak: Mapping[str, float]  # precision -> dense FLOP/s (or OP/s for int8)
    power_w: float | None
    source: str
    aliases: tuple[str, ...] = ()
    verified: bool = True
    note: str = ""
    vendor: str = field(default="NVIDIA")


def _peaks(**values: float) -> Mapping[str, float]:
    return MappingProxyType(values)


NVIDIA_A100 = "https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf"
NVIDIA_H100 = "NVIDIA H100 Tensor Core GPU Architecture whitepaper (2022), Table 3; https://resources.nvidia.com/en-us-tensor-core"
NVIDIA_H200 = "https://www.nvidia.com/en-us/data-center/h200/ (datasheet; sparse figures halved)"
NVIDIA_B200 = "https://www.nvidia.com/en-us/data-center/hgx/ HGX B200 datasheet (8-GPU figures / 8; sparse halved)"
NVIDIA_GB200 = "https://www.nvidia.com/en-us/data-center/gb200-nvl72/ (72-GPU figures / 72; sparse halved)"
NVIDIA_L4 = "https://www.nvidia.com/en-us/data-center/l4/ (datasheet; sparse figures halved)"
NVIDIA_L40S = "https://www.nvidia.com/en-us/data-center/l40s/ (datasheet; sparse figures halved)"
NVIDIA_V100 = "https://images.nvidia.com/content/technologies/volta/pdf/volta-v100-datasheet-update-us-1165301-r5.pdf"
AMD_MI300X = "https://www.amd.com/content/dam/amd/en/documents/instinct-tech-docs/data-sheets/amd-instinct-mi300x-data-sheet.pdf"
AMD_MI325X = "https://www.amd.com/content/dam/amd/en/documents/instinct-tech-docs/product-briefs/instinct-mi325x-datasheet.pdf"
GOOGLE_TPU = "https://cloud.google.com/tpu/docs/system-architecture-tpu-vm (per-chip peak)"
GOOGLE_TPU_V3 = "https://cloud.google.com/tpu/docs/v3 (Key specifications: peak compute per chip 123 teraflops (bf16))"
NVIDIA_H800 = ("NVIDIA H800 Tensor Core GPU datasheet (SXM: FP64 1 TFLOPS; TF32 989, BF16/FP16 1,979, FP8/INT8 3,958 "
               "with sparsity, halved), as the datasheet is quoted elsewhere; the datasheet itself not read here")
NVIDIA_A800 = ("NVIDIA A800 40GB/80GB datasheets (the A100's compute figures: TF32 156, BF16/FP16 312, INT8 624 "
               "dense), as commonly quoted; the A800 datasheets themselves not read here")
NVIDIA_V100S = ("NVIDIA V100S PCIe figures (double 8.2, single 16.4, tensor 130 TFLOPS; 250 W) as Lightning's "
                "throughput.py peak table gives them, citing NVIDIA's volta-v100-datasheet-update-us-1165301-r5.pdf "
                "(a cross-check: that PDF not read here)")
HUAWEI_ASCEND_910 = ("Huawei's Ascend 910 launch release (Shenzhen, 23 Aug 2019) as reproduced by pureai.com "
                     "(3 Sep 2019) and computer-automation.de: 'For half-precision floating point (FP16) "
                     "operations, Ascend 910 delivers 256 TeraFLOPS ... (INT8), it delivers 512 TeraOPS', "
                     "'maximum power consumption ... 310W'")
# Issue 28, second batch. Vendor pages found and read with the search tools are cited by
# address and line; where only third-party reproductions of a vendor's figures were found,
# the row is verified=False and the note says whose page the numbers come from.
GOOGLE_TPU7X = ("https://docs.cloud.google.com/tpu/docs/tpu7x (System architecture table: peak compute per chip "
                "2307 TFLOPs (BF16), 4614 TFLOPs (FP8))")
GOOGLE_TPU_V2 = ("Google I/O 2017 Cloud TPU announcement: 180 teraflops per four-chip board (as reported by "
                 "androidcentral.com); cloud.google.com/tpu/docs/v2 gives no per-chip figure")
AMD_MI355X = ("AMD ROCm Blogs, 'Matrix Core Programming on AMD CDNA3 and CDNA4 architecture' (2025-09-30), "
              "https://rocm.blogs.amd.com/software-tools-optimization/matrix-cores-cdna/README.html, MI355X table: "
              "Matrix FP64 78.6 TF, FP32 157.3 TF, FP16 2.5 PF, FP8 5 PF, FP4 10 PF")
AMD_MI250X = ("AMD Instinct MI250X product figures (FP64/FP32 matrix 95.7, FP16/BF16/INT8 383 TFLOPS per OAM), "
              "consistent with AMD lab notes 'AMD matrix cores' (gpuopen.com/learn/amd-lab-notes/"
              "amd-lab-notes-matrix-cores-readme): 1024 FP16 and 256 FP64 FLOP/clock/CU, x 220 CU x 1.7 GHz")
AWS_TRAINIUM = ("https://awsdocs-neuron.readthedocs-hosted.com/en/latest/general/arch/neuron-hardware/trainium.html "
                "(Each Trainium chip: 380 INT8 TOPS, 190 FP16/BF16/cFP8/TF32 TFLOPS, 47.5 FP32 TFLOPS)")
AWS_TRAINIUM2 = ("AWS Neuron docs, about-neuron/arch/neuron-hardware/trainium2.rst (Trainium2 chip: 1,299 FP8 TFLOPS, "
                 "667 BF16/FP16/TF32 TFLOPS, 2,563 sparse TFLOPS, 181 FP32 TFLOPS)")
INTEL_GAUDI2 = ("Intel's Gaudi 2 figures as reproduced at the Gaudi 3 launch (Intel Vision 2024): 432 TFLOPS BF16 "
                "matrix, 600 W (pcguia.pt/2024/04/nvidia-e-amd-tem-um-novo-rival-no-mercado-de-ia-a-intel)")
INTEL_GAUDI3 = ("Intel Vision 2024 Gaudi 3 figures: 1835 TFLOPS FP8 and BF16 matrix, 900 W OAM (as reproduced by "
                "pcguia.pt, same article; evokernel-specs.pages.dev/hardware/gaudi-3 lists the same)")
NVIDIA_H20 = ("NVIDIA HGX H20 figures as reported (no NVIDIA datasheet line found here): FP16 148 TFLOPS dense, "
              "INT8 296, TF32 74, FP32 44, FP64 1 (zangshuxian.com/new/674733024499207168); 400 W, 296 INT8 TOPS "
              "(willitrunai.com/es/gpus/h20-96gb; tweaktown.com/news/95224)")
NVIDIA_L20 = ("NVIDIA L20 48 GB as listed by technical.city/pl/video/L20 and topcpu.net (11,776 CUDA cores, "
              "2,520 MHz boost: FP32 59.35 TFLOPS; 275 W); no NVIDIA Tensor Core line found")
NVIDIA_B300 = ("NVIDIA HGX B300 8-GPU table as reproduced at fibermall.com/blog/?p=17161 (FP8 72 PF*, FP16/BF16 "
               "36 PF*, TF32 18 PF* with sparsity; FP32 600 TF; FP64 10 TF): / 8 GPUs, sparse halved; agrees with "
               "glennklockwood.com/garden/processors/B300")
NVIDIA_GB300 = ("NVIDIA GB300 NVL72 rack figures as reproduced at verda.com/blog/gb300-nvl72-architecture (dense: "
                "FP4 1,080 PF, FP8 360 PF, FP16/BF16 180 PF; per GPU TF32 1.25 PF, 1.4 kW) / 72 GPUs; FP4 "
                "1,080 PF dense also at vendordeep.com/report/nvidia-launches-blackwell-ultra-gb300")

ACCELERATORS: tuple[Accelerator, ...] = (
    Accelerator("a100", "NVIDIA A100 SXM4 (40/80 GB)",
                _peaks(fp64=19.5 * T, fp32=19.5 * T, tf32=156 * T, bf16=312 * T, fp16=312 * T, int8=624 * T),
                400, NVIDIA_A100, aliases=("a100-sxm", "a100-sxm4", "a100-80gb", "a100-40gb", "nvidia-a100"),
                note="The Guidelines' worked example rounds to 300 TFLOP/s."),
    Accelerator("a100-pcie", "NVIDIA A100 PCIe (40/80 GB)",
                _peaks(fp64=19.5 * T, fp32=19.5 * T, tf32=156 * T, bf16=312 * T, fp16=312 * T, int8=624 * T),
                300, NVIDIA_A100),
    Accelerator("h100-sxm", "NVIDIA H100 SXM5 80 GB",
                _peaks(fp64=66.9 * T, fp32=66.9 * T, tf32=494.7 * T, bf16=989.4 * T, fp16=989.4 * T,
                       fp8=1978.9 * T, int8=1978.9 * T),
                700, NVIDIA_H100, aliases=("h100", "h100-sxm5", "h100-80gb", "nvidia-h100"),
                note="The Guidelines' worked example uses 989 TFLOP/s."),
    Accelerator("h100-pcie", "NVIDIA H100 PCIe 80 GB",
                _peaks(fp64=51.2 * T, fp32=51.2 * T, tf32=378 * T, bf16=756.5 * T, fp16=756.5 * T,
                       fp8=1513 * T, int8=1513 * T),
                350, NVIDIA_H100),
    Accelerator("h200", "NVIDIA H200 SXM 141 GB",
                _peaks(fp64=67 * T, fp32=67 * T, tf32=494.5 * T, bf16=989.5 * T, fp16=989.5 * T,
                       fp8=1979 * T, int8=1979 * T),
                700, NVIDIA_H200, aliases=("h200-sxm", "nvidia-h200")),
    Accelerator("b200", "NVIDIA B200 (HGX)",
                _peaks(fp64=40 * T, tf32=1.125 * P, bf16=2.25 * P, fp16=2.25 * P, fp8=4.5 * P, fp4=9 * P,
                       int8=4.5 * P),
                1000, NVIDIA_B200, aliases=("nvidia-b200", "hgx-b200"), verified=False,
                note="Figures from NVIDIA's 8-GPU HGX B200 table (/8, sparse halved). NVIDIA's later per-GPU table, as "
                     "reproduced (zdszero.github.io Hardware notes; a public repository's copy), prints TF32 2.2 PF "
                     "sparse (1.1 dense, not 1.125) and FP64 37 TF, max TDP 'Configurable up to 1,000W'; the two "
                     "revisions disagree, so nothing here is changed. Missing: an NVIDIA B200 datasheet line read "
                     "here."),
    Accelerator("gb200", "NVIDIA GB200 (Blackwell GPU in NVL72)",
                _peaks(fp64=45 * T, tf32=1.25 * P, bf16=2.5 * P, fp16=2.5 * P, fp8=5 * P, fp4=10 * P, int8=5 * P),
                1200, NVIDIA_GB200, aliases=("gb200-nvl72", "nvidia-gb200"), verified=False,
                note="Figures from NVIDIA's NVL72 rack table (/72, sparse halved). NVIDIA's later per-GPU table, as "
                     "reproduced (zdszero.github.io Hardware notes; a public repository's copy), prints FP64 40 TF "
                     "(not 45), FP32 80 TF and max TDP 'Configurable up to 1,200W' (the 1,200 W here). Missing: an "
                     "NVIDIA GB200 datasheet line read here."),
    Accelerator("mi300x", "AMD Instinct MI300X",
                _peaks(fp64=163.4 * T, fp32=163.4 * T, tf32=653.7 * T, bf16=1307.4 * T, fp16=1307.4 * T,
                       fp8=2614.9 * T, int8=2614.9 * T),
                750, AMD_MI300X, aliases=("amd-mi300x", "instinct-mi300x"), vendor="AMD"),
    Accelerator("mi325x", "AMD Instinct MI325X",
                _peaks(fp64=163.4 * T, fp32=163.4 * T, tf32=653.7 * T, bf16=1307.4 * T, fp16=1307.4 * T,
                       fp8=2614.9 * T, int8=2614.9 * T),
                1000, AMD_MI325X, aliases=("amd-mi325x", "instinct-mi325x"), vendor="AMD"),
    Accelerator("tpu-v4", "Google TPU v4", _peaks(bf16=275 * T, int8=275 * T), None, GOOGLE_TPU,
                aliases=("tpuv4", "v4"), vendor="Google"),
    Accelerator("tpu-v5e", "Google TPU v5e", _peaks(bf16=197 * T, int8=394 * T), None, GOOGLE_TPU,
                aliases=("tpuv5e", "v5e", "v5litepod"), vendor="Google"),
    Accelerator("tpu-v5p", "Google TPU v5p", _peaks(bf16=459 * T, int8=918 * T), None, GOOGLE_TPU,
                aliases=("tpuv5p", "v5p"), vendor="Google"),
    Accelerator("tpu-v6e", "Google TPU v6e (Trillium)", _peaks(bf16=918 * T, int8=1836 * T), None, GOOGLE_TPU,
                aliases=("tpuv6e", "v6e", "trillium"), vendor="Google"),
    Accelerator("l4", "NVIDIA L4",
                _peaks(fp32=30.3 * T, tf32=60 * T, bf16=121 * T, fp16=121 * T, fp8=242.5 * T, int8=242.5 * T),
                72, NVIDIA_L4, aliases=("nvidia-l4",)),
    Accelerator("l40s", "NVIDIA L40S",
                _peaks(fp32=91.6 * T, tf32=183 * T, bf16=362.05 * T, fp16=362.05 * T, fp8=733 * T, int8=733 * T),
                350, NVIDIA_L40S, aliases=("nvidia-l40s",)),
    Accelerator("v100", "NVIDIA V100 SXM2", _peaks(fp64=7.8 * T, fp32=15.7 * T, fp16=125 * T), 300, NVIDIA_V100,
                aliases=("v100-sxm", "v100-sxm2", "nvidia-v100"), note="No bf16 support."),
    Accelerator("v100-pcie", "NVIDIA V100 PCIe", _peaks(fp64=7 * T, fp32=14 * T, fp16=112 * T), 250, NVIDIA_V100),
    # Added for issue 28 (accelerators real runs used that the table refused). Rows not
    # checked line by line against the vendor's PDF here are verified=False with why.
    Accelerator("v100s", "NVIDIA V100S PCIe 32 GB", _peaks(fp64=8.2 * T, fp32=16.4 * T, fp16=130 * T), 250,
                NVIDIA_V100S, aliases=("v100s-pcie", "tesla-v100s", "nvidia-v100s"), verified=False,
                note="Agrees with the V100S column copied from NVIDIA's V100 datasheet update in Lightning's peak "
                     "table and in other public tables. Missing: NVIDIA's V100 datasheet update (r5) or V100S "
                     "page read here."),
    Accelerator("h800", "NVIDIA H800 SXM5 80 GB",
                _peaks(fp64=1 * T, fp32=67 * T, tf32=494.5 * T, bf16=989.5 * T, fp16=989.5 * T, fp8=1979 * T,
                       int8=1979 * T),
                700, NVIDIA_H800, aliases=("h800-sxm", "h800-sxm5", "nvidia-h800"), verified=False,
                note="The H100 SXM's tensor throughput with FP64 cut to 1 TFLOP/s (export variant); sparse "
                     "datasheet figures halved. Cross-check only: DeepSeek's FlashMLA notes use 'H800 SXM5 ... peak "
                     "FLOPs 990 TFLOPS' (bf16). Missing: NVIDIA's H800 datasheet (no copy in the stores searched)."),
    Accelerator("a800", "NVIDIA A800 SXM4 (40/80 GB)",
                _peaks(fp64=19.5 * T, fp32=19.5 * T, tf32=156 * T, bf16=312 * T, fp16=312 * T, int8=624 * T),
                400, NVIDIA_A800, aliases=("a800-sxm", "a800-sxm4", "a800-80gb", "nvidia-a800"), verified=False,
                note="The A100's compute (export variant with NVLink cut to 400 GB/s); third-party spec tables agree "
                     "(BF16 311.87 TFLOPS tensor dense at the A100's 1,410 MHz). Missing: NVIDIA's A800 datasheet "
                     "read here. Not the 'A800 40GB Active' workstation card, a different SKU."),
    Accelerator("a800-pcie", "NVIDIA A800 PCIe (40/80 GB)",
                _peaks(fp64=19.5 * T, fp32=19.5 * T, tf32=156 * T, bf16=312 * T, fp16=312 * T, int8=624 * T),
                300, NVIDIA_A800, aliases=("a800-pcie-40gb", "a800-pcie-80gb"), verified=False,
                note="Same compute as the SXM part; board power 250–300 W by memory size (third-party tables print "
                     "250 W for the 40 GB card). Missing: NVIDIA's A800 PCIe datasheet read here."),
    Accelerator("tpu-v3", "Google TPU v3", _peaks(bf16=123 * T), None, GOOGLE_TPU_V3,
                aliases=("tpuv3", "v3"), vendor="Google"),
    Accelerator("ascend-910", "Huawei Ascend 910", _peaks(fp16=256 * T, int8=512 * T), 310, HUAWEI_ASCEND_910,
                aliases=("ascend910", "910a", "huawei-ascend-910"), verified=False, vendor="Huawei",
                note="Huawei's launch figures, read only in press copies of the release; no bf16 figure is published. "
                     "'Ascend 910B' is a later, different chip with no row here (it is not an alias of this one). "
                     "Missing: the release or a datasheet on huawei.com / hiascend.com read here."),
    # Issue 28, second batch: accelerators real runs used that the table lacked.
    Accelerator("h20", "NVIDIA H20 96 GB (HGX)",
                _peaks(fp64=1 * T, fp32=44 * T, tf32=74 * T, bf16=148 * T, fp16=148 * T, fp8=296 * T, int8=296 * T),
                400, NVIDIA_H20, aliases=("h20-96gb", "hgx-h20", "nvidia-h20"), verified=False,
                note="China export variant of Hopper. Third-party reproductions of NVIDIA's figures, no NVIDIA line "
                     "read here; bf16 = fp16 and fp8 = int8 on Hopper Tensor Cores (TweakTown prints '296 TFLOPs'). "
                     "Missing: an NVIDIA H20 datasheet (NVIDIA publishes none on its public site that was found)."),
    Accelerator("l20", "NVIDIA L20 48 GB", _peaks(fp32=59.35 * T), 275, NVIDIA_L20,
                aliases=("l20-48gb", "nvidia-l20"), verified=False,
                note="Only the FP32 rate (cores x boost clock x 2) is given. Tensor Core figures are quoted only "
                     "second-hand (Alibaba Cloud's docs as quoted: FP16/BF16 119, FP8/INT8 237; others 119.5 / "
                     "239), so none is given. Missing: an NVIDIA L20 datasheet read here."),
    Accelerator("b300", "NVIDIA B300 (HGX, Blackwell Ultra)",
                _peaks(fp64=1.25 * T, fp32=75 * T, tf32=1.125 * P, bf16=2.25 * P, fp16=2.25 * P, fp8=4.5 * P),
                None, NVIDIA_B300, aliases=("b300-sxm", "hgx-b300", "nvidia-b300"), verified=False,
                note="Third-party reproductions of NVIDIA's HGX table. fp4 and int8 left out: the copies disagree "
                     "(dense FP4 13.1-14 PF; INT8 0.15-4.5 POPS). Power left out: 1,100 W and 1,400 W both quoted. "
                     "Missing: NVIDIA's HGX B300 datasheet read here."),
    Accelerator("gb300", "NVIDIA GB300 (Blackwell Ultra GPU in NVL72)",
                _peaks(tf32=1.25 * P, bf16=2.5 * P, fp16=2.5 * P, fp8=5 * P, fp4=15 * P),
                1400, NVIDIA_GB300, aliases=("gb300-nvl72", "nvidia-gb300"), verified=False,
                note="Third-party reproductions of NVIDIA's NVL72 figures, divided by 72; fp64/fp32/int8 left out "
                     "(no rack figure found that the copies agree on). Missing: NVIDIA's GB300 NVL72 datasheet read "
                     "here."),
    Accelerator("mi250x", "AMD Instinct MI250X (OAM, both GCDs)",
                _peaks(fp64=95.7 * T, fp32=95.7 * T, bf16=383 * T, fp16=383 * T, int8=383 * T),
                500, AMD_MI250X, aliases=("amd-mi250x", "instinct-mi250x", "mi250x-oam"), vendor="AMD", verified=False,
                note="One OAM = two GCDs, and torch/rocm-smi list each GCD as its own device: count modules with "
                     "this row, devices with mi250x-gcd. AMD's ROCm 'MI250 microarchitecture' page (read here) gives "
                     "the CDNA2 rates per CU per clock (matrix FP16/BF16/INT8 1024, matrix FP64/FP32 256) and a "
                     "1.7 GHz peak clock, printing 362.1 / 90.5 TFLOPS for the 208-CU MI250; at the MI250X's 220 "
                     "CUs the same rates give 1024 x 220 x 1.7e9 = 383.0e12 and 256 x 220 x 1.7e9 = 95.7e12. "
                     "Power: 500 W here, 560 W in other copies. Missing: AMD's MI250X datasheet or product-page "
                     "line read here."),
    Accelerator("mi250x-gcd", "AMD Instinct MI250X, one GCD (as one device)",
                _peaks(fp64=95.7 / 2 * T, fp32=95.7 / 2 * T, bf16=383 / 2 * T, fp16=383 / 2 * T, int8=383 / 2 * T),
                250, AMD_MI250X + "; halved per GCD", aliases=("amd-mi250x-gcd",), vendor="AMD", verified=False,
                note="Half the MI250X OAM (two GCDs per module); power is half the module's 500 W. Missing: as for "
                     "mi250x."),
    Accelerator("mi355x", "AMD Instinct MI355X",
                _peaks(fp64=78.6 * T, fp32=157.3 * T, bf16=2.5 * P, fp16=2.5 * P, fp8=5 * P, fp4=10 * P),
                1400, AMD_MI355X, aliases=("amd-mi355x", "instinct-mi355x"), vendor="AMD",
                note="Matrix (dense) rates from AMD's own table; bf16 = fp16 (same MFMA shapes and cycle counts, "
                     "same post). Power 1,400 W from AMD's Hot Chips 2025 talk as reported, not from that table."),
    Accelerator("tpu-v2", "Google TPU v2", _peaks(bf16=45 * T), None, GOOGLE_TPU_V2,
                aliases=("tpuv2", "v2"), vendor="Google", verified=False,
                note="180 TFLOPS per four-chip board / 4 (Google's 2017 announcement, as reported). Google's v2 page "
                     "(docs.cloud.google.com/tpu/docs/v2, read here) prints no per-chip figure and defers to "
                     "'A Domain Specific Supercomputer for Training Deep Neural Networks' (Jouppi et al., CACM 2020). "
                     "Cross-check: Lightning's peak table gives v2 45e12, citing arXiv 1907.10701 (Google authors), "
                     "not read here. Missing: a per-chip figure in Google's own text read here."),
    Accelerator("tpu7x", "Google TPU7x (Ironwood)", _peaks(bf16=2307 * T, fp8=4614 * T), None, GOOGLE_TPU7X,
                aliases=("tpu-v7", "tpu-v7x", "tpuv7", "v7", "ironwood"), vendor="Google"),
    Accelerator("gaudi2", "Intel Gaudi 2 (HL-225H)", _peaks(bf16=432 * T), 600, INTEL_GAUDI2,
                aliases=("gaudi-2", "intel-gaudi2", "intel-gaudi-2", "hl-225h"), vendor="Intel", verified=False,
                note="Intel's figure as reproduced in the press; fp8 left out (the copy found prints 835 TFLOPS, "
                     "other copies 865). Intel's own Gaudi2 article (intel.com developer article, read here) gives "
                     "96 GB HBM2e at 2.45 TB/s and 24 TPCs but no TFLOPS. Missing: the Habana Gaudi2 white paper's "
                     "spec table read here."),
    Accelerator("gaudi3", "Intel Gaudi 3 (HL-325L OAM)", _peaks(bf16=1835 * T, fp8=1835 * T), 900, INTEL_GAUDI3,
                aliases=("gaudi-3", "intel-gaudi3", "intel-gaudi-3", "hl-325l"), vendor="Intel", verified=False,
                note="Intel's launch figures as reproduced in the press; the PCIe card (HL-338) is a 600 W part. The "
                     "press copies disagree (another prints 1,856 TFLOPS BF16/FP8 matrix at about 600 W). Missing: "
                     "Intel's Gaudi 3 white paper or product brief read here."),
    Accelerator("trainium", "AWS Trainium (Trn1)",
                _peaks(fp32=47.5 * T, tf32=190 * T, bf16=190 * T, fp16=190 * T, fp8=190 * T, int8=380 * T),
                None, AWS_TRAINIUM, aliases=("trainium1", "trn1", "aws-trainium", "aws-trainium1"), vendor="AWS",
                note="fp8 is AWS's cFP8. Older revisions of the page printed 420 INT8 TOPS."),
    Accelerator("trainium2", "AWS Trainium2 (Trn2)",
                _peaks(fp32=181 * T, tf32=667 * T, bf16=667 * T, fp16=667 * T, fp8=1299 * T),
                None, AWS_TRAINIUM2, aliases=("trn2", "aws-trainium2"), vendor="AWS",
                note="Dense figures as printed (the page prints sparse apart: 2,563 TFLOPS)."),
)

#: Device names as `torch.cuda.get_device_name()` / nvidia-smi / rocm-smi report them,
#: matched in order (first match wins) to a row above: e.g. "NVIDIA H100 80GB HBM3" (SXM5),
#: "NVIDIA H100 PCIe", "NVIDIA A100-SXM4-80GB", "Tesla V100-SXM2-32GB", "AMD Instinct
#: MI300X". Unknown names (and the H100 NVL, whose peaks differ) map to nothing: the run is
#: then labelled with its device name and no peak is assumed. Names seen in real output:
#: "NVIDIA H100 80GB HBM3" (torch's device warning, github.com/amithkk/stable-diffusion-k8s
#: issue 10; mosaicml/composer PR 2265), "NVIDIA A100-SXM4-40GB" (composer PR 2265),
#: "A100-SXM4-40GB" (pytorch/pytorch issue 57922), "A100-SXM-80GB" (facebookresearch/d2go
#: issue 103). The other spellings follow NVIDIA's and AMD's product names, unchecked here.
#: An MI250X shows up as one device per GCD (half a module), so its name maps to mi250x-gcd;
#: "AMD Instinct MI250X/MI250" names either part (the MI250 has fewer CUs) and maps to nothing.
#: Habana's torch reports "GAUDI2"/"GAUDI3" (habana_frameworks hpu.get_device_name), unchecked here.
DEVICE_NAME_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\bgb200\b", "gb200"), (r"\bb200\b", "b200"), (r"\bh200\b", "h200"),
    (r"\bh100\b.*\bnvl\b", ""), (r"\bh100\b.*\bpcie\b", "h100-pcie"), (r"\bh100\b", "h100-sxm"),
    (r"\ba100\b.*\bpcie\b", "a100-pcie"), (r"\ba100\b", "a100"),
    (r"\bv100\b.*\bpcie\b", "v100-pcie"), (r"\bv100\b", "v100"),
    (r"\bh800\b", "h800"), (r"\ba800\b.*\bpcie\b", "a800-pcie"), (r"\ba800\b", "a800"), (r"\bv100s\b", "v100s"),
    (r"\bl40s\b", "l40s"), (r"\bl4\b", "l4"), (r"\bmi325x\b", "mi325x"), (r"\bmi300x\b", "mi300x"),
    (r"\bgb300\b", "gb300"), (r"\bb300\b", "b300"), (r"\bh20\b", "h20"), (r"\bl20\b", "l20"),
    (r"\bmi355x\b", "mi355x"), (r"\bmi250x/mi250\b", ""), (r"\bmi250x\b", "mi250x-gcd"),
    (r"\bgaudi ?2\b", "gaudi2"), (r"\bgaudi ?3\b", "gaudi3"),
)
