using System.ComponentModel.DataAnnotations;

namespace CustomLabels.Core.Review.Embedded;

/// <summary>The embedded human review, bound from <c>CustomLabels:Review</c>.</summary>
public sealed class ReviewOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "CustomLabels:Review";

    /// <summary>
    /// The flow definition's name: the folder under <c>a2i-human-loop-data/</c> that answers are written to.
    /// Lower-case letters, digits and hyphens. Default: <c>customlabels-review</c>.
    /// </summary>
    [Required]
    [RegularExpression("^[a-z0-9](-*[a-z0-9]){0,62}$", ErrorMessage = "CustomLabels:Review:FlowDefinitionName must be 1 to 63 lower-case letters, digits and hyphens.")]
    public string FlowDefinitionName { get; set; } = "customlabels-review";
}
