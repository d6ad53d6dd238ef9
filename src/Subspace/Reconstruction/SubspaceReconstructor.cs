using OrleansUws.Numerics.Backends;
using OrleansUws.Subspace.Bases;
using OrleansUws.Subspace.Coefficients;
using OrleansUws.Subspace.Updates;

namespace OrleansUws.Subspace.Reconstruction;

/// <summary>
/// Turns a model's coefficients back into its layers' updates against a <see cref="BasisSet"/>, refusing bases that are
/// not the ones the coefficients were computed against (another fleet, another version, fewer vectors, other centring).
/// </summary>
public sealed class SubspaceReconstructor
{
    private readonly SubspaceProjector _projector;

    /// <summary>Creates a reconstructor computing with <paramref name="backend"/>.</summary>
    public SubspaceReconstructor(IBlasBackend backend) => _projector = new SubspaceProjector(backend);

    /// <summary>ΔŴ of every layer of <paramref name="coefficients"/> (read from <paramref name="source"/>, named in errors).</summary>
    /// <exception cref="SubspaceFormatException">A basis is missing or is not the one the coefficients name; the message names both versions.</exception>
    public IReadOnlyList<NamedUpdate> Reconstruct(ModelCoefficients coefficients, BasisSet bases, string source)
    {
        ArgumentNullException.ThrowIfNull(coefficients);
        ArgumentNullException.ThrowIfNull(bases);
        ArgumentException.ThrowIfNullOrEmpty(source);
        if (bases.Fleet != coefficients.Fleet)
        {
            throw new SubspaceFormatException(source, "fleet", $"the coefficients are of fleet '{coefficients.Fleet}'; the bases in {bases.Source} are of fleet '{bases.Fleet}'");
        }

        return coefficients.Layers.Select(layer => new NamedUpdate(layer.Layer, layer.ModulePath, ReconstructLayer(layer, bases, source))).ToArray();
    }

    /// <summary>ΔŴ of one layer.</summary>
    /// <exception cref="SubspaceFormatException">A basis is missing or is not the one the coefficients name.</exception>
    public LayerUpdate ReconstructLayer(LayerCoefficients layer, BasisSet bases, string source)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(bases);
        return _projector.Reconstruct(layer.Values, ProjectionFor(layer, bases, source), layer.OutFeatures, layer.InFeatures);
    }

    /// <summary>The projection <paramref name="layer"/>'s coefficients were computed with, checked against <paramref name="bases"/>.</summary>
    /// <exception cref="SubspaceFormatException">A basis is missing, of another version, shorter than k, or of other centring.</exception>
    public static LayerProjection ProjectionFor(LayerCoefficients layer, BasisSet bases, string source)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(bases);
        var used = new List<ProjectionBasis>();
        foreach (var reference in layer.Bases)
        {
            string mode = BasisModes.Name(reference.Mode);
            var basis = bases.Find(layer.Layer, reference.Mode)
                ?? throw new SubspaceFormatException(source, layer.Layer, $"needs the {mode} basis version {reference.Version}, which {bases.Source} does not have");
            if (basis.Header.Version != reference.Version)
            {
                throw new SubspaceFormatException(source, layer.Layer,
                    $"coefficients were computed against {mode} basis version {reference.Version}, but {bases.PathOf(layer.Layer, reference.Mode)} is version {basis.Header.Version}; recompute the coefficients or use the bases of version {reference.Version}");
            }

            if (reference.K > basis.Rank)
            {
                throw new SubspaceFormatException(source, layer.Layer, $"uses k = {reference.K} of the {mode} basis, which has only {basis.Rank} vectors");
            }

            if (basis.Header.Centred != layer.Centred)
            {
                throw new SubspaceFormatException(source, layer.Layer,
                    $"coefficients are {(layer.Centred ? "centred" : "uncentred")} but the {mode} basis version {basis.Header.Version} is {(basis.Header.Centred ? "centred" : "uncentred")}");
            }

            used.Add(new ProjectionBasis(basis, reference.K));
        }

        try
        {
            return LayerProjection.Create(layer.Form, used);
        }
        catch (ArgumentException e)
        {
            throw new SubspaceFormatException(source, layer.Layer, e.Message, e);
        }
    }
}
