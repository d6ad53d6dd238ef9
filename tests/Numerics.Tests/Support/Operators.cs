using OrleansUws.Numerics.Basis;

namespace OrleansUws.Numerics.Tests.Support;

internal static class Operators
{
    /// <summary>The dense d×d matrix of an operator (applied to the identity).</summary>
    public static double[] Dense(ISymmetricOperator op)
    {
        int d = op.Dimension;
        var identity = new double[d * d];
        for (int i = 0; i < d; i++)
        {
            identity[(i * d) + i] = 1;
        }

        var result = new double[d * d];
        op.Apply(identity, d, result);
        return result;
    }
}
