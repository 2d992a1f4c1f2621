namespace CustomLabels.Web.Components;

/// <summary>The role lists the dashboard's pages are guarded with; an Operator may do all a Reviewer or Consumer may.</summary>
internal static class DashboardRoles
{
    public const string Operator = "Operator";
    public const string Reviewer = "Reviewer";
    public const string Consumer = "Consumer";
    public const string ReviewerOrOperator = Reviewer + "," + Operator;
    public const string ConsumerOrOperator = Consumer + "," + Operator;
}
