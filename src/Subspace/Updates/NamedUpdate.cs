namespace OrleansUws.Subspace.Updates;

/// <summary>A layer's update with the names it is written under.</summary>
/// <param name="LayerId">The layer id readers report (e.g. <c>layers.3.self_attn.q_proj</c>).</param>
/// <param name="ModulePath">The module path PEFT keys use (e.g. <c>model.layers.3.self_attn.q_proj</c>).</param>
/// <param name="Update">ΔW.</param>
public sealed record NamedUpdate(string LayerId, string ModulePath, LayerUpdate Update);
