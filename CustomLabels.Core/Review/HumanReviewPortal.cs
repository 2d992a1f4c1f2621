namespace CustomLabels.Core.Review;

/// <summary>
/// Where reviewers answer when it is not the dashboard: in AWS, the A2I workforce's labeling portal. Registered only
/// by a backend whose reviewers answer elsewhere, so the review queue can link to it
/// (<c>services.GetService&lt;HumanReviewPortal&gt;()</c> is null in the embedded backend).
/// </summary>
/// <param name="Url">The portal's address, or null when it was not configured.</param>
public sealed record HumanReviewPortal(Uri? Url);
