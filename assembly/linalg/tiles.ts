// Register-tile width of the micro-kernels, fixed per build. The relaxed build fuses
// multiply-add, which frees the temporary of each product, so a 6-row tile fits V8's 16 xmm
// registers; V8 before 13 (Node 20, 22) allocates that tile badly and runs it slower than the
// SIMD build's 4-row one, so a second relaxed build keeps 4-row tiles with FMA ('relaxed4').
// NTK_NARROW_TILES comes from asc --use in asconfig.json (0 or 1 per target).

// @ts-ignore: defined per build target by asc --use NTK_NARROW_TILES=0|1
export const WIDE_TILES: bool = ASC_FEATURE_RELAXED_SIMD && NTK_NARROW_TILES == 0;
