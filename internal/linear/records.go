package linear

import (
	"slices"
	"time"

	"github.com/veelocity/veelocity/internal/model"
)

// pageInfo is a Relay connection's page information.
type pageInfo struct {
	HasNextPage bool    `json:"hasNextPage"`
	EndCursor   *string `json:"endCursor"`
}

type teamNode struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

type teamsData struct {
	Teams struct {
		Nodes    []teamNode `json:"nodes"`
		PageInfo pageInfo   `json:"pageInfo"`
	} `json:"teams"`
}

type labelNode struct {
	Name string `json:"name"`
}

type attachmentNode struct {
	ID         string  `json:"id"`
	URL        string  `json:"url"`
	SourceType *string `json:"sourceType"`
}

type labelConn struct {
	Nodes    []labelNode `json:"nodes"`
	PageInfo pageInfo    `json:"pageInfo"`
}

type attachmentConn struct {
	Nodes    []attachmentNode `json:"nodes"`
	PageInfo pageInfo         `json:"pageInfo"`
}

// issueNode is an issue as issuesQuery selects it.
type issueNode struct {
	ID          string     `json:"id"`
	Identifier  string     `json:"identifier"`
	Number      float64    `json:"number"`
	Title       string     `json:"title"`
	URL         string     `json:"url"`
	BranchName  string     `json:"branchName"`
	Priority    float64    `json:"priority"`
	Estimate    *float64   `json:"estimate"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	StartedAt   *time.Time `json:"startedAt"`
	CompletedAt *time.Time `json:"completedAt"`
	CanceledAt  *time.Time `json:"canceledAt"`
	Trashed     *bool      `json:"trashed"`
	State       struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"state"`
	Assignee *struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"assignee"`
	Labels      labelConn      `json:"labels"`
	Attachments attachmentConn `json:"attachments"`
}

type issuesData struct {
	Issues struct {
		Nodes    []issueNode `json:"nodes"`
		PageInfo pageInfo    `json:"pageInfo"`
	} `json:"issues"`
}

type issueLabelsData struct {
	Issue struct {
		Labels labelConn `json:"labels"`
	} `json:"issue"`
}

type issueAttachmentsData struct {
	Issue struct {
		Attachments attachmentConn `json:"attachments"`
	} `json:"issue"`
}

// trashed reports whether the issue is in Linear's trash bin (deleted).
func (n *issueNode) trashed() bool { return n.Trashed != nil && *n.Trashed }

// record converts an issue node of team teamID to the stored form. Labels
// are sorted, so a label list that Linear returns in another order stores
// the same.
func (n *issueNode) record(teamID, teamKey string) *model.LinearIssue {
	is := &model.LinearIssue{
		LinearID:     n.ID,
		TeamLinearID: teamID,
		TeamKey:      teamKey,
		Identifier:   n.Identifier,
		Number:       int(n.Number),
		Title:        n.Title,
		URL:          n.URL,
		BranchName:   n.BranchName,
		StateName:    n.State.Name,
		StateType:    n.State.Type,
		Priority:     int(n.Priority),
		Estimate:     n.Estimate,
		CreatedAt:    n.CreatedAt.UTC(),
		UpdatedAt:    n.UpdatedAt.UTC(),
		StartedAt:    utc(n.StartedAt),
		CompletedAt:  utc(n.CompletedAt),
		CanceledAt:   utc(n.CanceledAt),
		Labels:       []string{},
	}
	if n.Assignee != nil {
		is.AssigneeName, is.AssigneeEmail = n.Assignee.Name, n.Assignee.Email
	}
	for _, l := range n.Labels.Nodes {
		is.Labels = append(is.Labels, l.Name)
	}
	slices.Sort(is.Labels)
	is.Labels = slices.Compact(is.Labels)
	for _, a := range n.Attachments.Nodes {
		att := model.LinearAttachment{LinearID: a.ID, URL: a.URL}
		if a.SourceType != nil {
			att.SourceType = *a.SourceType
		}
		is.Attachments = append(is.Attachments, att)
	}
	return is
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
