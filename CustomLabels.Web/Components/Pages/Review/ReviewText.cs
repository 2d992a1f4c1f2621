using CustomLabels.Core.Review;
using CustomLabels.Web.Components.Shared;

namespace CustomLabels.Web.Components.Pages.Review;

/// <summary>How the review queue words loops and answers.</summary>
internal static class ReviewText
{
    public static string Reason(HumanLoopReason reason) => reason switch
    {
        HumanLoopReason.LowConfidence => "low confidence",
        HumanLoopReason.Sampling => "sampling",
        _ => reason.ToString(),
    };

    public static string TopLabel(HumanLoopInput input) =>
        input.Labels.Count == 0 ? "no label" : $"{input.Labels[0].Name} ({Wire.Confidence(input.Labels[0].Confidence)})";

    public static string Answer(HumanLoopAnswer? answer) => answer switch
    {
        null => "—",
        { NoneOfTheAbove: true } => "None of the above",
        { BoundingBox: not null } => $"{answer.Label} (with a box)",
        _ => answer.Label ?? "—",
    };
}
