namespace OrleansUws.Numerics.Cuda;

/// <summary>
/// PTX source of the two widening kernels, JIT-compiled by the driver for whatever GPU is present (no nvcc, no
/// NVRTC, no ILGPU needed at run time). Each is a grid-stride loop over <c>count</c> elements:
/// <c>uws_widen_bf16</c> turns bfloat16 bits b into the float32 bits b &lt;&lt; 16 (exact: bf16 is the top half of
/// a float32), <c>uws_widen_f16</c> converts IEEE half to float32 with <c>cvt.f32.f16</c> (exact). NaN and ±∞
/// are preserved by both. Parameters: (float* destination, const ushort* source, ulong count).
/// </summary>
internal static class WideningPtx
{
    /// <summary>Entry name of the bfloat16 kernel.</summary>
    public const string BFloat16Entry = "uws_widen_bf16";

    /// <summary>Entry name of the half kernel.</summary>
    public const string HalfEntry = "uws_widen_f16";

    /// <summary>The module text.</summary>
    public const string Source = """
        .version 7.0
        .target sm_70
        .address_size 64

        .visible .entry uws_widen_bf16(
            .param .u64 p_destination,
            .param .u64 p_source,
            .param .u64 p_count
        )
        {
            .reg .pred %p<2>;
            .reg .u16 %h<2>;
            .reg .u32 %r<6>;
            .reg .u64 %rd<12>;

            ld.param.u64 %rd1, [p_destination];
            ld.param.u64 %rd2, [p_source];
            ld.param.u64 %rd3, [p_count];
            cvta.to.global.u64 %rd1, %rd1;
            cvta.to.global.u64 %rd2, %rd2;
            mov.u32 %r1, %ctaid.x;
            mov.u32 %r2, %ntid.x;
            mov.u32 %r3, %tid.x;
            mov.u32 %r4, %nctaid.x;
            mul.wide.u32 %rd4, %r1, %r2;
            cvt.u64.u32 %rd5, %r3;
            add.u64 %rd4, %rd4, %rd5;
            mul.wide.u32 %rd6, %r4, %r2;
        $L_bf16_loop:
            setp.ge.u64 %p1, %rd4, %rd3;
            @%p1 bra $L_bf16_done;
            shl.b64 %rd7, %rd4, 1;
            add.u64 %rd8, %rd2, %rd7;
            ld.global.nc.u16 %h1, [%rd8];
            cvt.u32.u16 %r5, %h1;
            shl.b32 %r5, %r5, 16;
            shl.b64 %rd9, %rd4, 2;
            add.u64 %rd10, %rd1, %rd9;
            st.global.u32 [%rd10], %r5;
            add.u64 %rd4, %rd4, %rd6;
            bra.uni $L_bf16_loop;
        $L_bf16_done:
            ret;
        }

        .visible .entry uws_widen_f16(
            .param .u64 p_destination,
            .param .u64 p_source,
            .param .u64 p_count
        )
        {
            .reg .pred %p<2>;
            .reg .b16 %h<2>;
            .reg .f32 %f<2>;
            .reg .u32 %r<5>;
            .reg .u64 %rd<12>;

            ld.param.u64 %rd1, [p_destination];
            ld.param.u64 %rd2, [p_source];
            ld.param.u64 %rd3, [p_count];
            cvta.to.global.u64 %rd1, %rd1;
            cvta.to.global.u64 %rd2, %rd2;
            mov.u32 %r1, %ctaid.x;
            mov.u32 %r2, %ntid.x;
            mov.u32 %r3, %tid.x;
            mov.u32 %r4, %nctaid.x;
            mul.wide.u32 %rd4, %r1, %r2;
            cvt.u64.u32 %rd5, %r3;
            add.u64 %rd4, %rd4, %rd5;
            mul.wide.u32 %rd6, %r4, %r2;
        $L_f16_loop:
            setp.ge.u64 %p1, %rd4, %rd3;
            @%p1 bra $L_f16_done;
            shl.b64 %rd7, %rd4, 1;
            add.u64 %rd8, %rd2, %rd7;
            ld.global.nc.b16 %h1, [%rd8];
            cvt.f32.f16 %f1, %h1;
            shl.b64 %rd9, %rd4, 2;
            add.u64 %rd10, %rd1, %rd9;
            st.global.f32 [%rd10], %f1;
            add.u64 %rd4, %rd4, %rd6;
            bra.uni $L_f16_loop;
        $L_f16_done:
            ret;
        }
        """;
}
