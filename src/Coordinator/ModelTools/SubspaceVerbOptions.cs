namespace OrleansUws.Coordinator.ModelTools;

/// <summary>What <c>uws compress</c> does.</summary>
public sealed class CompressVerbOptions
{
    /// <summary>Model paths or fleet folders (argument MODEL…).</summary>
    public IReadOnlyList<string> Models { get; set; } = [];

    /// <summary>Folder of basis files (<c>{layer}.{mode}.safetensors</c>). Option <c>--bases</c>.</summary>
    public string Bases { get; set; } = string.Empty;

    /// <summary>Coefficient form: rows, columns, two-sided, flattened. Option <c>--form</c>; default columns.</summary>
    public string Form { get; set; } = "columns";

    /// <summary>Leading basis vectors used per basis; null for all. Option <c>--k</c>.</summary>
    public int? K { get; set; }

    /// <summary>Folder the coefficient files are written to. Option <c>--out</c>.</summary>
    public string Output { get; set; } = string.Empty;
}

/// <summary>What <c>uws reconstruct</c> does.</summary>
public sealed class ReconstructVerbOptions
{
    /// <summary>Coefficient files, or folders holding <c>*.coefficients.safetensors</c> (argument COEFFS…).</summary>
    public IReadOnlyList<string> Coefficients { get; set; } = [];

    /// <summary>Folder of basis files. Option <c>--bases</c>.</summary>
    public string Bases { get; set; } = string.Empty;

    /// <summary>Folder the models are written to. Option <c>--out</c>.</summary>
    public string Output { get; set; } = string.Empty;

    /// <summary>Write dense delta checkpoints instead of PEFT adapters. Option <c>--dense</c>.</summary>
    public bool Dense { get; set; }
}

/// <summary>What <c>uws merge</c> does.</summary>
public sealed class MergeVerbOptions
{
    /// <summary>Model paths or fleet folders (argument MODEL…).</summary>
    public IReadOnlyList<string> Models { get; set; } = [];

    /// <summary>mean, task-arithmetic, ties, dare or subspace. Option <c>--method</c>.</summary>
    public string Method { get; set; } = "mean";

    /// <summary>λ (task arithmetic, TIES, DARE). Option <c>--lambda</c>.</summary>
    public double Lambda { get; set; } = 1.0;

    /// <summary>TIES density. Option <c>--density</c>.</summary>
    public double Density { get; set; } = 0.2;

    /// <summary>DARE drop rate. Option <c>--drop-rate</c>.</summary>
    public double DropRate { get; set; } = 0.9;

    /// <summary>DARE seed. Option <c>--seed</c>.</summary>
    public ulong Seed { get; set; } = 1;

    /// <summary>Subspace: folder of basis files. Option <c>--bases</c>.</summary>
    public string? Bases { get; set; }

    /// <summary>Subspace: coefficient form. Option <c>--form</c>.</summary>
    public string Form { get; set; } = "columns";

    /// <summary>Subspace: leading vectors per basis. Option <c>--k</c>.</summary>
    public int? K { get; set; }

    /// <summary>Cap on the rank of the written adapter (dense merges are factorised). Option <c>--max-rank</c>.</summary>
    public int? MaxRank { get; set; }

    /// <summary>Write a dense delta checkpoint instead of a PEFT adapter. Option <c>--dense</c>.</summary>
    public bool Dense { get; set; }

    /// <summary>Where the merged model is written (a folder; a <c>.safetensors</c> file with <c>--dense</c>). Option <c>--out</c>.</summary>
    public string Output { get; set; } = string.Empty;
}
