using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Internal;
using OrleansUws.Numerics.Sketching;
using OrleansUws.Numerics.Tests.Support;
using Xunit;

namespace OrleansUws.Numerics.Tests.Backends;

/// <summary>
/// A version solved from a Frequent Directions sketch's rows in place and the sketch's next shrink share the Gram
/// columns of those rows (<see cref="SharedGramColumns"/>), whichever computes them first: the sketch stays bit for bit
/// what it would have been without the version, and the version what it would have been had its solve computed its own.
/// Two sketches take the same rows; only one is copied and solved.
/// </summary>
public sealed class SharedGramColumnsTests
{
    private const int Ell = 8;
    private static readonly ManagedBlasBackend Backend = new();

    [Theory]
    [InlineData(64, 1)] // rows of a multiple of 16 floats: the solve's columns serve the next shrink
    [InlineData(40, 0)] // a tile's edge would sum the last 8 floats apart from a tile's: not shared
    public void A_shrink_after_a_version_solved_in_place_is_bit_identical_to_one_that_computed_its_own_Gram(int d, int shared)
    {
        Assert.SkipUnless(ShrinkKernels.GramSupported, "the host Gram kernel needs AVX2 and FMA");
        var rows = TestData.Planted(seed: 31, 200, d, rank: 5, noise: 0.1);
        using var solved = Sketch(d);
        using var plain = Sketch(d);

        // Past the first shrink, then a version of the first sketch.
        int next = PastTheFirstShrink(rows, d, solved, plain);
        SolveACopy(solved);

        // The next shrink.
        AppendUntil(rows, d, next, s => s.ShrinkCount == 2, solved, plain);
        AssertAsPlain(solved, plain, takes: shared == 1, shrinksThatTook: shared);
    }

    [Fact]
    public void Columns_solved_after_the_sketch_shrank_again_are_not_taken()
    {
        Assert.SkipUnless(ShrinkKernels.GramSupported, "the host Gram kernel needs AVX2 and FMA");
        using var twins = new Twins(seed: 32);
        var copy = twins.First.Copy();

        // The sketch shrinks (into a buffer of its own: the copy holds the old rows) before the version is solved.
        twins.AppendUntilShrink(2);
        Solve(copy);
        twins.AppendUntilShrink(3);

        AssertAsPlain(twins.First, twins.Second, takes: true, shrinksThatTook: 0);
    }

    [Fact]
    public void A_version_solved_after_the_sketch_shrank_takes_the_shrinks_columns_and_equals_one_that_computed_its_own()
    {
        // A version cut's copy is solved after the sketch went on and shrank (a shrink every few models at ℓ rows): the
        // shrink computed the copy's Gram columns among its own and handed them over, and the version is bit for bit the
        // one a solve computing them would have made.
        Assert.SkipUnless(ShrinkKernels.GramSupported, "the host Gram kernel needs AVX2 and FMA");
        using var twins = new Twins(seed: 35);
        var (late, prompt) = (twins.First, twins.Second);
        var waiting = (FrequentDirectionsSketch)late.Copy();
        var expected = SolveACopy(prompt);

        twins.AppendUntilShrink(2);
        var basis = Solve(waiting);

        Assert.Equal(1, waiting.SharedGramSolves);
        Assert.Equal(expected.Vectors, basis.Vectors);
        Assert.Equal(expected.SingularValues, basis.SingularValues);
        AssertAsPlain(prompt, late, takes: true, shrinksThatTook: 1);
    }

    [Fact]
    public void A_copy_that_absorbed_a_late_row_takes_nothing_from_the_shrink()
    {
        Assert.SkipUnless(ShrinkKernels.GramSupported, "the host Gram kernel needs AVX2 and FMA");
        using var twins = new Twins(seed: 36);
        var lateRow = TestData.Planted(seed: 37, 1, Twins.D, rank: 1, noise: 0.1);
        var copy = (FrequentDirectionsSketch)twins.First.Copy();
        var own = twins.Second.Copy();
        copy.AppendRows(lateRow, 1);
        own.AppendRows(lateRow, 1);

        twins.AppendUntilShrink(2);
        var basis = Solve(copy);

        Assert.Equal(0, copy.SharedGramSolves);
        Assert.Equal(Solve(own).Vectors, basis.Vectors);
    }

    [Fact]
    public void A_copy_that_absorbed_a_late_row_offers_nothing()
    {
        // A version cut's copy absorbs a late model of its cut: its rows are no longer the sketch's, which goes on with
        // other rows; the sketch's next shrink computes its own Gram and stays what it would have been.
        Assert.SkipUnless(ShrinkKernels.GramSupported, "the host Gram kernel needs AVX2 and FMA");
        using var twins = new Twins(seed: 33);
        var copy = twins.First.Copy();
        copy.AppendRows(TestData.Planted(seed: 34, 1, Twins.D, rank: 1, noise: 0.1), 1);
        Solve(copy);
        twins.AppendUntilShrink(2);

        AssertAsPlain(twins.First, twins.Second, takes: true, shrinksThatTook: 0);
    }

    [Fact]
    public async Task Versions_solved_on_another_thread_while_the_sketch_goes_on_equal_their_snapshots_and_leave_the_sketch_as_it_was()
    {
        // Each version is solved in place on another thread while the sketch goes on absorbing (up to 3–13 rows at
        // ℓ = 8, varied so that copies fall at every point between shrinks: past a shrink when the solve is slow, not
        // when it is quick), so the columns pass one way or the other at whatever moment the two threads meet. Every
        // version must equal the one solved from its copy's serialized snapshot, and the sketch the one never copied.
        Assert.SkipUnless(ShrinkKernels.GramSupported, "the host Gram kernel needs AVX2 and FMA");
        const int d = 64, count = 2000;
        var rows = TestData.Planted(seed: 38, count, d, rank: 5, noise: 0.1);
        using var versioned = Sketch(d);
        using var plain = Sketch(d);
        int r = 0, versions = 0, solvesThatTook = 0;
        void AppendNext()
        {
            versioned.AppendRows(rows.AsSpan(r * d, d), 1);
            plain.AppendRows(rows.AsSpan(r * d, d), 1);
            r++;
        }

        while (r < count)
        {
            if (versioned.ShrinkCount == 0)
            {
                AppendNext();
                continue;
            }

            var copy = (FrequentDirectionsSketch)versioned.Copy();
            var snapshot = versioned.Serialize();
            var solving = Task.Run(() =>
            {
                var basis = Solve(copy);
                var expected = Solve(SketchSummary.Read(snapshot));
                Assert.Equal(expected.Vectors, basis.Vectors);
                Assert.Equal(expected.SingularValues, basis.SingularValues);
            }, TestContext.Current.CancellationToken);
            for (int i = 0; i < 3 + (versions % 11) && r < count && (i == 0 || !solving.IsCompleted); i++)
            {
                AppendNext();
            }

            await solving;
            solvesThatTook += copy.SharedGramSolves;
            versions++;
        }

        Assert.True(versions > 100, $"{versions} versions");
        Assert.True(solvesThatTook + versioned.SharedGramShrinks > 0, "no columns passed either way");
        Assert.Equal(plain.Serialize(), versioned.Serialize());
    }

    private static FrequentDirectionsSketch Sketch(int d) => new(Backend, d, Ell, MeanMode.None);

    /// <summary>Two sketches that took the same rows of length <see cref="D"/>, past their first shrink (<see cref="PastTheFirstShrink"/>).</summary>
    private sealed class Twins : IDisposable
    {
        public const int D = 64;
        private readonly float[] _rows;
        private int _next;

        public Twins(int seed)
        {
            _rows = TestData.Planted(seed, 200, D, rank: 5, noise: 0.1);
            _next = PastTheFirstShrink(_rows, D, First, Second);
        }

        public FrequentDirectionsSketch First { get; } = Sketch(D);

        public FrequentDirectionsSketch Second { get; } = Sketch(D);

        /// <summary>Appends the next rows to both until the first has shrunk <paramref name="count"/> times.</summary>
        public void AppendUntilShrink(int count) => _next = AppendUntil(_rows, D, _next, s => s.ShrinkCount == count, First, Second);

        public void Dispose()
        {
            First.Dispose();
            Second.Dispose();
        }
    }

    /// <summary>Appends to both sketches until the first one is past its first shrink with 3 rows after the ones it left; returns the next row.</summary>
    private static int PastTheFirstShrink(float[] rows, int d, FrequentDirectionsSketch solved, FrequentDirectionsSketch plain) =>
        AppendUntil(rows, d, 0, s => s.ShrinkCount == 1 && s.BufferedRows == s.OrthogonalEnergies.Length + 3, solved, plain);

    /// <summary>Whether the versioned sketch could take shared columns, how many shrinks did, and that it equals the plain one byte for byte.</summary>
    private static void AssertAsPlain(FrequentDirectionsSketch solved, FrequentDirectionsSketch plain, bool takes, int shrinksThatTook)
    {
        Assert.Equal(takes, solved.TakesSharedGram);
        Assert.Equal(shrinksThatTook, solved.SharedGramShrinks);
        Assert.Equal(plain.Serialize(), solved.Serialize());
    }

    private static SubspaceBasis SolveACopy(FrequentDirectionsSketch sketch) => Solve(sketch.Copy());

    /// <summary>A one-part version of <paramref name="copy"/> (which the merge takes over), its rows read in place.</summary>
    private static SubspaceBasis Solve(ICovarianceSketch copy) => Solve(SketchSummary.Of(copy));

    /// <summary>A one-part version of <paramref name="summary"/>.</summary>
    private static SubspaceBasis Solve(SketchSummary summary)
    {
        var merged = new MergedSketch(new CovarianceSketchFactory(Backend), new SubspaceBasisSolver(Backend), 1);
        merged.Set(0, summary);
        var basis = merged.ComputeBasis(new BasisOptions { Rank = 3 });
        Assert.Equal(3, basis.Rank);
        merged.Remove(0);
        return basis;
    }

    /// <summary>Appends rows from <paramref name="from"/> on to every sketch until the first one is as asked; returns the next row.</summary>
    private static int AppendUntil(float[] rows, int d, int from, Func<FrequentDirectionsSketch, bool> done, params FrequentDirectionsSketch[] sketches)
    {
        int r = from;
        while (!done(sketches[0]))
        {
            Assert.True((r + 1) * d <= rows.Length, "the test ran out of rows");
            foreach (var sketch in sketches)
            {
                sketch.AppendRows(rows.AsSpan(r * d, d), 1);
            }

            r++;
        }

        return r;
    }
}
