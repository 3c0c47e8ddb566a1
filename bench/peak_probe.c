// Peak floating-point rate of this CPU for 128-bit (wasm SIMD width) and 512-bit (AVX-512,
// what OpenBLAS uses here) FMA, and the clock, so GEMM ratios against OpenBLAS can be read
// against what the hardware allows (issue 16: f64 GEMM >= 0.5x OpenBLAS single-thread).
//   gcc -O2 -mavx512f -mfma -o /tmp/peak bench/peak_probe.c && /tmp/peak
#include <stdio.h>
#include <time.h>
#include <immintrin.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
#define R8(F) F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9)
int main(){
  long n=500000000L; long x=3; double t0=now();
  for(long i=0;i<n;i++){ __asm__ volatile("imul %0, %0\n\timul %0, %0" : "+r"(x)); }
  double t=now()-t0; double ghz=2.0*3*n/t/1e9; printf("imul chain (3-cycle latency): %.2f GHz (%ld)\n", ghz, x&1);
  __m512d b=_mm512_set1_pd(0.999999999), c=_mm512_set1_pd(1e-9);
  #define DZ(k) __m512d z##k=_mm512_set1_pd(1.0+k);
  R8(DZ)
  long m=100000000L; t0=now();
  for(long i=0;i<m;i++){
    #define FZ(k) z##k=_mm512_fmadd_pd(z##k,b,c);
    R8(FZ)
    __asm__ volatile("" ::: "memory");
  }
  t=now()-t0; double s=0;
  #define SZ(k) s+=_mm512_reduce_add_pd(z##k);
  R8(SZ)
  double f=10.0*m*16/t/1e9; printf("zmm f64 FMA: %.1f GF/s = %.1f flops/cycle (%g)\n", f, f/ghz, s);
  __m128d qb=_mm_set1_pd(0.999999999), qc=_mm_set1_pd(1e-9);
  #define DQ(k) __m128d q##k=_mm_set1_pd(1.0+k);
  R8(DQ)
  t0=now();
  for(long i=0;i<m;i++){
    #define FQ(k) q##k=_mm_fmadd_pd(q##k,qb,qc);
    R8(FQ)
    __asm__ volatile("" ::: "memory");
  }
  t=now()-t0; s=0;
  #define SQ(k) s+=q##k[0];
  R8(SQ)
  f=10.0*m*4/t/1e9; printf("xmm f64 FMA: %.1f GF/s = %.1f flops/cycle (%g)\n", f, f/ghz, s);
  return 0;
}
