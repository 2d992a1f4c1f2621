namespace CustomLabels.Core.Models.Embedded;

/// <summary>Small statistics the head's training and evaluation share.</summary>
internal static class Metrics
{
    /// <summary>The area under the ROC curve of positive scores against negative scores (ties count half).</summary>
    public static double Auroc(IReadOnlyList<double> positives, IReadOnlyList<double> negatives)
    {
        if (positives.Count == 0 || negatives.Count == 0)
        {
            return double.NaN;
        }

        var sorted = negatives.Order().ToArray();
        double total = 0;
        foreach (var p in positives)
        {
            var below = LowerBound(sorted, p);
            var notAbove = UpperBound(sorted, p);
            total += below + ((notAbove - below) / 2.0);
        }

        return total / ((double)positives.Count * negatives.Count);
    }

    /// <summary>
    /// Fits P(positive | score) = 1 / (1 + exp(-slope * (score - offset))) by Newton's method on the log-likelihood,
    /// with a little L2 pull on the standardised slope that keeps separable data finite. When
    /// <paramref name="balanced"/>, positives and negatives weigh the same in total, so the fit assumes even odds
    /// whatever the share of each among the points.
    /// </summary>
    public static (double Slope, double Offset) FitLogistic(IReadOnlyList<(double Score, bool Positive)> points, bool balanced = false)
    {
        if (points.Count == 0 || points.All(p => p.Positive) || points.All(p => !p.Positive))
        {
            return (10, 0.5);
        }

        var mean = points.Average(p => p.Score);
        var spread = Math.Sqrt(points.Average(p => (p.Score - mean) * (p.Score - mean))) + 1e-9;

        // Fit on standardised scores: z = (score - mean) / spread; logit = a * z + b.
        double a = 1, b = 0;
        const double pull = 1e-3;
        var positives = points.Count(p => p.Positive);
        var positiveWeight = balanced ? points.Count / (2.0 * positives) : 1;
        var negativeWeight = balanced ? points.Count / (2.0 * (points.Count - positives)) : 1;
        for (var iteration = 0; iteration < 100; iteration++)
        {
            double ga = -pull * a, gb = 0, haa = -pull, hab = 0, hbb = -1e-9;
            foreach (var (score, positive) in points)
            {
                var z = (score - mean) / spread;
                var p = 1 / (1 + Math.Exp(-((a * z) + b)));
                var weight = positive ? positiveWeight : negativeWeight;
                var error = weight * ((positive ? 1 : 0) - p);
                ga += error * z;
                gb += error;
                var w = weight * p * (1 - p);
                haa -= w * z * z;
                hab -= w * z;
                hbb -= w;
            }

            var determinant = (haa * hbb) - (hab * hab);
            if (Math.Abs(determinant) < 1e-15)
            {
                break;
            }

            var da = ((hbb * ga) - (hab * gb)) / determinant;
            var db = ((haa * gb) - (hab * ga)) / determinant;
            a -= da;
            b -= db;
            if (Math.Abs(da) + Math.Abs(db) < 1e-9)
            {
                break;
            }
        }

        var slope = a / spread;
        var offset = mean - (b * spread / a);
        return double.IsFinite(slope) && double.IsFinite(offset) && slope > 0 ? (slope, offset) : (10, mean);
    }

    private static int LowerBound(double[] sorted, double value)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (sorted[mid] < value)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    private static int UpperBound(double[] sorted, double value)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (sorted[mid] <= value)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }
}
